"""Shared pieces of the golden generators (tools/reference/gen_golden.py and the golden_*.py
topic modules it runs): the TensorFlow set-up, explicit seeded weights, and the fixture writer."""
import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_addons as tfa  # noqa: E402,F401  (re-exported to the topic modules)

tf.compat.v1.disable_eager_execution()
tf.config.experimental.enable_op_determinism()

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "tests", "golden")
DTYPES = {"f32": (np.float32, tf.float32), "f64": (np.float64, tf.float64)}

sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
from safetensors_io import write_safetensors  # noqa: E402,F401


def wave(shape, salt, scale):
    """Deterministic values the tutorial example recomputes in C++: scale * sin(0.7 k + salt)."""
    k = np.arange(int(np.prod(shape)), dtype=np.float64)
    return (scale * np.sin(0.7 * k + salt)).reshape(shape)


class Weights:
    """Draws every weight from a seeded RNG (or a wave) and records the assignments."""

    def __init__(self, seed, np_dtype, tutorial=False):
        self.rng = np.random.default_rng(seed)
        self.np_dtype = np_dtype
        self.tutorial = tutorial
        self.salt = 0
        self.assign = []   # (tf variable, value)
        self.tensors = {}  # file name -> value

    def draw(self, shape, scale):
        self.salt += 1
        if self.tutorial:
            return wave(shape, self.salt, scale).astype(self.np_dtype)
        return self.rng.uniform(-scale, scale, size=shape).astype(self.np_dtype)

    def set(self, var, name, scale):
        value = self.draw(tuple(var.shape.as_list()), scale)
        self.assign.append((var, value))
        self.tensors[name] = value

    def run_assign(self, sess):
        for var, value in self.assign:
            var.load(value, sess)


def cell_weights(w, cell, kind, prefix="cell/"):
    if kind == "gru":
        w.set(cell._gate_kernel, prefix + "gates/kernel", 0.6)
        w.set(cell._gate_bias, prefix + "gates/bias", 0.5)
        w.set(cell._candidate_kernel, prefix + "candidate/kernel", 0.6)
        w.set(cell._candidate_bias, prefix + "candidate/bias", 0.5)
    else:
        w.set(cell._kernel, prefix + "kernel", 0.6)
        w.set(cell._bias, prefix + "bias", 0.5)


def make_cell(kind, units, tf_dtype, forget_bias):
    if kind == "gru":
        return tf.compat.v1.nn.rnn_cell.GRUCell(units, dtype=tf_dtype)
    return tf.compat.v1.nn.rnn_cell.LSTMCell(units, forget_bias=forget_bias, dtype=tf_dtype)


def state_tensors(prefix, kind, state):
    """Flattens a cell state into named tensors: GRU h; LSTM c and h (TF1 LSTMStateTuple order)."""
    if kind == "gru":
        return {prefix + "h": state}
    return {prefix + "c": state.c, prefix + "h": state.h}


def random_state(rng, kind, batch, units, np_dtype):
    if kind == "gru":
        return rng.uniform(-0.8, 0.8, (batch, units)).astype(np_dtype)
    return tf.compat.v1.nn.rnn_cell.LSTMStateTuple(
        rng.uniform(-1.5, 1.5, (batch, units)).astype(np_dtype),
        rng.uniform(-0.8, 0.8, (batch, units)).astype(np_dtype))


def as_dict_state(kind, value):
    return {"h": value} if kind == "gru" else {"c": value.c, "h": value.h}


def save(name, tensors, metadata):
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, name + ".safetensors"), tensors, metadata)
    print("wrote", name)


def bahdanau_weights(w, mech, normalize):
    w.set(mech.memory_layer.kernel, "memory_layer/kernel", 0.6)
    w.set(mech.query_layer.kernel, "query_layer/kernel", 0.6)
    w.set(mech.attention_v, "attention_v", 0.8)
    if normalize:
        g = w.rng.uniform(0.5, 1.5) if not w.tutorial else 0.75
        g = np.asarray(g, dtype=w.np_dtype)
        w.assign.append((mech.attention_g, g))
        w.tensors["attention_g"] = g
        w.set(mech.attention_b, "attention_b", 0.4)


