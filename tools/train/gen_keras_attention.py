#!/usr/bin/env python3
"""Random-weight golden from real TF2 Keras + TensorFlow Addons for TFA attention weight names.

A subclassed tf.keras.Model named "m" holds

  mechanism = tfa.seq2seq.BahdanauAttention(units=5, memory=None, normalize=True)
  wrapper   = tfa.seq2seq.AttentionWrapper(tf.keras.layers.GRUCell(6), mechanism,
                                           attention_layer_size=4, alignment_history=False,
                                           output_attention=True)
  rnn       = tf.keras.layers.RNN(wrapper, return_sequences=True, return_state=True)

and its call does mechanism.setup_memory(memory, memory_sequence_length=...) and then runs
rnn(inputs, initial_state=wrapper.get_initial_state(batch_size=3, dtype=...)) (zero state)
over inputs [B=3, T=5, I=3], full length, no mask; memory [3, Tm=4, Dm=7] with
memory_sequence_length [4, 2, 3] (masking on: padded memory rows are zeroed, padded scores get
dtype.min, so their alignments are exactly 0). GRUCell uses the Keras defaults
(reset_after=True, recurrent_activation='sigmoid'), gates z, r, h.

After one build call, every weight is assigned explicitly (seeded NumPy RNG, non-zero biases,
attention_g != its initial value) and the model is run eagerly. Each file
(tests/golden/keras/keras_tfa_attention.safetensors, float32; keras_tfa_attention_f64, the same
computation with dtype='float64' layers and the same underlying float64 draws) holds the weights
under their Keras names with the model prefix "m/" and ":0" removed:

  rnn/attention_wrapper/BahdanauAttention/attention_v   [5]
  rnn/attention_wrapper/BahdanauAttention/attention_g   []
  rnn/attention_wrapper/BahdanauAttention/attention_b   [5]
  rnn/attention_wrapper/BahdanauAttention/kernel        [6, 5]   (query layer, no bias)
  BahdanauAttention/memory_layer/kernel                 [7, 5]   (memory layer, no bias)
  rnn/attention_wrapper/attention_layer/kernel          [13, 4]  ([cell_output; context], no bias)
  rnn/attention_wrapper/gru_cell/kernel                 [3+4, 18] (cell input [x_t; prev attention])
  rnn/attention_wrapper/gru_cell/recurrent_kernel       [6, 18]
  rnn/attention_wrapper/gru_cell/bias                   [2, 18]  (row 0 input, row 1 recurrent)

plus inputs [3,5,3], memory [3,4,7], memory_sequence_length [3] (int64), outputs [3,5,4] and
the final AttentionWrapperState fields final_state/cell_state [3,6], final_state/attention
[3,4], final_state/alignments [3,4], final_state/attention_state [3,4].

The script re-reads each file and checks in NumPy (float64) that the stored outputs and final
state follow from the stored weights.

Deterministic: seeded NumPy, op determinism, CPU only, TF_ENABLE_ONEDNN_OPTS=0.
Run:  /tmp/tfref/venv/bin/python tools/train/gen_keras_attention.py
"""
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_addons as tfa  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_keras import keras_weight_name  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "keras"))
NAME = "keras_tfa_attention"

B, T, I = 3, 5, 3
UNITS, ATT_UNITS, ATT_SIZE = 6, 5, 4
TM, DM = 4, 7
MEMORY_SEQUENCE_LENGTH = [4, 2, 3]
SEED = 201
MODEL_PREFIX = "m/"

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()

P = "rnn/attention_wrapper/"
EXPECTED_SHAPES = {
    P + "BahdanauAttention/attention_v": [ATT_UNITS],
    P + "BahdanauAttention/attention_g": [],
    P + "BahdanauAttention/attention_b": [ATT_UNITS],
    P + "BahdanauAttention/kernel": [UNITS, ATT_UNITS],
    "BahdanauAttention/memory_layer/kernel": [DM, ATT_UNITS],
    P + "attention_layer/kernel": [UNITS + DM, ATT_SIZE],
    P + "gru_cell/kernel": [I + ATT_SIZE, 3 * UNITS],
    P + "gru_cell/recurrent_kernel": [UNITS, 3 * UNITS],
    P + "gru_cell/bias": [2, 3 * UNITS],
}


class AttentionModel(tf.keras.Model):
    def __init__(self, dtype):
        super().__init__(name="m", dtype=dtype)
        self.mechanism = tfa.seq2seq.BahdanauAttention(
            units=ATT_UNITS, memory=None, normalize=True, dtype=dtype)
        self.cell = tf.keras.layers.GRUCell(UNITS, dtype=dtype)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.cell, self.mechanism, attention_layer_size=ATT_SIZE, alignment_history=False,
            output_attention=True, dtype=dtype)
        self.rnn = tf.keras.layers.RNN(self.wrapper, return_sequences=True, return_state=True,
                                       dtype=dtype)

    def call(self, args):
        inputs, memory, memory_sequence_length = args
        self.mechanism.setup_memory(memory, memory_sequence_length=memory_sequence_length)
        initial_state = self.wrapper.get_initial_state(batch_size=B, dtype=self.dtype)
        return self.rnn(inputs, initial_state=initial_state)


def short_name(weight):
    name = keras_weight_name(weight)
    assert name.startswith(MODEL_PREFIX), name
    return name[len(MODEL_PREFIX):]


def draw_weight(rng, name, shape):
    leaf = name.rsplit("/", 1)[-1]
    if leaf == "attention_g":
        return np.asarray(rng.uniform(0.8, 1.6))  # initial value would be sqrt(1/5)
    scale = {"attention_v": 0.8, "attention_b": 0.5, "bias": 0.5}.get(leaf, 0.6)
    return rng.uniform(-scale, scale, size=tuple(shape))


def run(dtype, inputs64, memory64, msl, draws):
    np_dtype = np.dtype(dtype)
    tf.keras.backend.clear_session()
    model = AttentionModel(dtype)
    args = (tf.constant(inputs64.astype(np_dtype)), tf.constant(memory64.astype(np_dtype)),
            tf.constant(msl))
    model(args)  # build
    names = [short_name(w) for w in model.weights]
    assert sorted(names) == sorted(EXPECTED_SHAPES), names
    for w in model.weights:
        n = short_name(w)
        assert w.shape.as_list() == EXPECTED_SHAPES[n], (n, w.shape)
        assert w.dtype == np_dtype, (n, w.dtype)
        w.assign(draws[n].astype(np_dtype))
    res = model(args)
    outputs = res[0]
    cell_state, attention, alignments, alignment_history, attention_state = res[1:]
    assert alignment_history == () or len(tf.nest.flatten(alignment_history)) == 0
    if isinstance(cell_state, (list, tuple)):  # Keras GRUCell state may be [h]
        assert len(cell_state) == 1
        cell_state = cell_state[0]
    weights = {short_name(w): np.asarray(w.numpy()) for w in model.weights}
    extra = {
        "inputs": inputs64.astype(np_dtype),
        "memory": memory64.astype(np_dtype),
        "memory_sequence_length": np.asarray(msl, dtype=np.int64),
        "outputs": np.asarray(outputs),
        "final_state/cell_state": np.asarray(cell_state),
        "final_state/attention": np.asarray(attention),
        "final_state/alignments": np.asarray(alignments),
        "final_state/attention_state": np.asarray(attention_state),
    }
    for k, v in extra.items():
        if k != "memory_sequence_length":
            assert v.dtype == np_dtype, (k, v.dtype)
    return weights, extra


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference(t):
    """NumPy (float64) re-implementation from the stored tensors."""
    g = {k: np.asarray(v, dtype=np.float64) for k, v in t.items()
         if k != "memory_sequence_length"}
    x, mem, msl = g["inputs"], g["memory"], t["memory_sequence_length"]
    W, U, bias = (g[P + "gru_cell/kernel"], g[P + "gru_cell/recurrent_kernel"],
                  g[P + "gru_cell/bias"])
    v, gain, b = (g[P + "BahdanauAttention/attention_v"], g[P + "BahdanauAttention/attention_g"],
                  g[P + "BahdanauAttention/attention_b"])
    Wq, Wm = g[P + "BahdanauAttention/kernel"], g["BahdanauAttention/memory_layer/kernel"]
    Watt = g[P + "attention_layer/kernel"]
    mask = np.arange(TM)[None, :] < msl[:, None]  # [B, Tm]
    values = mem * mask[:, :, None]
    keys = values @ Wm  # [B, Tm, A]
    v_hat = gain * v / np.sqrt(np.sum(v * v))
    h = np.zeros((B, UNITS))
    att = np.zeros((B, ATT_SIZE))
    outs = []
    for step in range(T):
        xin = np.concatenate([x[:, step], att], axis=1)
        mx = xin @ W + bias[0]
        mh = h @ U + bias[1]
        xz, xr, xh = np.split(mx, 3, axis=1)
        hz, hr, hh = np.split(mh, 3, axis=1)
        z = sigmoid(xz + hz)
        r = sigmoid(xr + hr)
        cand = np.tanh(xh + r * hh)
        h = z * h + (1.0 - z) * cand
        score = np.sum(v_hat * np.tanh(keys + (h @ Wq)[:, None, :] + b), axis=2)  # [B, Tm]
        score = np.where(mask, score, -np.inf)
        e = np.exp(score - score.max(axis=1, keepdims=True))
        alpha = e / e.sum(axis=1, keepdims=True)
        context = np.einsum("bt,btd->bd", alpha, values)
        att = np.concatenate([h, context], axis=1) @ Watt
        outs.append(att)
    return {"outputs": np.stack(outs, axis=1), "final_state/cell_state": h,
            "final_state/attention": att, "final_state/alignments": alpha,
            "final_state/attention_state": alpha}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    inputs64 = rng.uniform(-1.0, 1.0, size=(B, T, I))
    memory64 = rng.uniform(-1.0, 1.0, size=(B, TM, DM))
    msl = np.asarray(MEMORY_SEQUENCE_LENGTH, dtype=np.int64)
    # Draw once (float64) in sorted name order; both dtypes use these values.
    draws = {n: draw_weight(rng, n, EXPECTED_SHAPES[n]) for n in sorted(EXPECTED_SHAPES)}

    for suffix, dtype, tol in (("", "float32", 1e-5), ("_f64", "float64", 1e-12)):
        weights, extra = run(dtype, inputs64, memory64, msl, draws)
        tensors = dict(weights)
        for k, val in extra.items():
            assert k not in tensors, k
            tensors[k] = val
        meta = {
            "source": "keras", "exporter": "tools/train/gen_keras_attention.py",
            "model": "subclassed tf.keras.Model 'm' (weight names without 'm/' and ':0')",
            "mechanism": "tfa.seq2seq.BahdanauAttention", "normalize": 1,
            "wrapper": "tfa.seq2seq.AttentionWrapper", "cell": "tf.keras.layers.GRUCell",
            "reset_after": 1, "gate_order": "z,r,h", "recurrent_activation": "sigmoid",
            "activation": "tanh", "units": UNITS, "attention_units": ATT_UNITS,
            "attention_layer_size": ATT_SIZE, "output_attention": 1, "alignment_history": 0,
            "probability_fn": "softmax", "score_mask_value": "dtype.min",
            "input_depth": I, "batch": B, "time_steps": T, "memory_time": TM,
            "memory_depth": DM, "memory_sequence_length": ",".join(map(str, msl)),
            "cell_input_fn": "concat(inputs, prev attention)",
            "initial_state": "zeros (wrapper.get_initial_state)", "sequence_lengths": "full",
            "dtype": dtype, "seed": SEED, "tensorflow": tf.__version__,
            "tensorflow_addons": tfa.__version__,
        }
        path = os.path.join(OUT, NAME + suffix + ".safetensors")
        write_safetensors(path, tensors, meta)

        stored, _ = read_safetensors(path)
        al = stored["final_state/alignments"]
        for row, n in enumerate(msl):
            assert np.all(al[row, n:] == 0.0), (row, al[row])
            assert np.all(al[row, :n] > 0.0), (row, al[row])
        assert np.array_equal(stored["outputs"][:, -1], stored["final_state/attention"])
        ref = reference(stored)
        err = max(float(np.max(np.abs(ref[k] - stored[k]))) for k in ref)
        print(os.path.relpath(path), os.path.getsize(path), "bytes; numpy cross-check max abs "
              f"err {err:.3e} (tol {tol:g})")
        assert err <= tol, err
        for k in sorted(stored):
            print(f"  {k} {stored[k].dtype} {list(stored[k].shape)}")


if __name__ == "__main__":
    main()
