#!/usr/bin/env python3
"""Random-weight goldens from real TF2 Keras for the Keras RNN weight layouts.

For each layout, a Keras layer is built, every weight is set explicitly (seeded NumPy RNG,
non-zero biases; no Keras initialiser value is used) with set_weights, and the layer is run
eagerly on fixed inputs [B=3, T=5, I=4], full length, zero initial state:

  keras_gru_reset_before  GRU(6, reset_after=False, recurrent_activation='sigmoid',
                              return_sequences=True, return_state=True)
  keras_gru_reset_after   GRU(6, reset_after=True, recurrent_activation='sigmoid', ...)
  keras_lstm              LSTM(6, recurrent_activation='sigmoid', return_sequences=True,
                               return_state=True)

Each file (tests/golden/keras/<name>.safetensors, float32; <name>_f64.safetensors, the same
computation with dtype='float64' layers) holds the layer's weights under their Keras names
(via tools/export/export_keras.py: gru/gru_cell/{kernel,recurrent_kernel,bias} or
lstm/lstm_cell/...), plus inputs [3,5,4], outputs [3,5,6], final_state/h [3,6] and for the
LSTM final_state/c [3,6]. The f32 and f64 files use the same underlying draws (f32 = rounded f64).

Gate orders: GRU z, r, h (bias [2, 18] with reset_after=True: row 0 input, row 1 recurrent;
[18] with reset_after=False); LSTM i, f, c, o (bias [24]).

Deterministic: seeded NumPy, op determinism, CPU only, TF_ENABLE_ONEDNN_OPTS=0.
Run:  /tmp/tfref/venv/bin/python tools/train/gen_keras_layouts.py
"""
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_keras import export_keras  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "keras"))

B, T, I, UNITS = 3, 5, 4, 6

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()

# name, kind, reset_after, seed
LAYOUTS = [
    ("keras_gru_reset_before", "gru", False, 101),
    ("keras_gru_reset_after", "gru", True, 102),
    ("keras_lstm", "lstm", None, 103),
]
SCALES = {"kernel": 0.6, "recurrent_kernel": 0.6, "bias": 0.5}


def make_layer(kind, reset_after, dtype):
    common = dict(recurrent_activation="sigmoid", return_sequences=True, return_state=True,
                  dtype=dtype)
    if kind == "gru":
        return tf.keras.layers.GRU(UNITS, reset_after=reset_after, name="gru", **common)
    return tf.keras.layers.LSTM(UNITS, name="lstm", **common)


def gen(name, kind, reset_after, seed):
    rng = np.random.default_rng(seed)
    inputs64 = rng.uniform(-1.0, 1.0, size=(B, T, I))
    # Draw once (float64) for the weight shapes; both dtypes use these values.
    tf.keras.backend.clear_session()
    probe = make_layer(kind, reset_after, "float64")
    probe(tf.constant(inputs64))
    draws = []
    for w in probe.weights:
        short = w.name.split(":")[0].rsplit("/", 1)[-1]
        s = SCALES[short]
        draws.append(rng.uniform(-s, s, size=tuple(w.shape.as_list())))

    for suffix, np_dtype, tf_dtype in (("", np.float32, "float32"), ("_f64", np.float64,
                                                                       "float64")):
        tf.keras.backend.clear_session()
        layer = make_layer(kind, reset_after, tf_dtype)
        x = inputs64.astype(np_dtype)
        layer(tf.constant(x))  # build
        layer.set_weights([d.astype(np_dtype) for d in draws])
        res = [np.asarray(r) for r in layer(tf.constant(x))]
        extra = {"inputs": x, "outputs": res[0], "final_state/h": res[1]}
        if kind == "lstm":
            extra["final_state/c"] = res[2]
        for v in extra.values():
            assert v.dtype == np_dtype, v.dtype
        assert np.array_equal(res[0][:, -1], res[1])
        meta = {
            "layer": "tf.keras.layers." + ("GRU" if kind == "gru" else "LSTM"),
            "kind": kind, "units": UNITS, "input_depth": I, "batch": B, "time_steps": T,
            "activation": "tanh", "recurrent_activation": "sigmoid",
            "gate_order": "z,r,h" if kind == "gru" else "i,f,c,o",
            "initial_state": "zeros", "sequence_lengths": "full", "dtype": tf_dtype,
            "seed": seed, "tensorflow": tf.__version__,
        }
        if kind == "gru":
            meta["reset_after"] = int(reset_after)
        path = os.path.join(OUT, name + suffix + ".safetensors")
        export_keras(layer, path, meta, extra_tensors=extra)
        tensors, _ = read_safetensors(path)
        print(os.path.relpath(path), os.path.getsize(path), "bytes")
        for k in sorted(tensors):
            print(f"  {k} {tensors[k].dtype} {list(tensors[k].shape)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    for layout in LAYOUTS:
        gen(*layout)


if __name__ == "__main__":
    main()
