#!/usr/bin/env python3
"""Goldens for the guide's page on where the frameworks differ (docs/guide/differences.md),
written by real TensorFlow 2.15 / Keras 2.15 / TFA 0.23 (this script, in the pinned venv) and
real PyTorch (tools/reference/gen_differences_torch.py, Debian's python3-torch).

tests/golden/differences/keras_masking{,_f64}.safetensors
  One Keras GRU(4, reset_after=True, return_sequences=True, return_state=True) weight set (Keras
  names gru/gru_cell/{kernel,recurrent_kernel,bias}), inputs [3, 5, 2] and lengths {5, 3, 2}
  (the tutorial's), run with mask = tf.sequence_mask(lengths, 5) twice: as Keras builds it by
  default (outputs_default, final_state_default) and with zero_output_for_mask=True
  (outputs_zero, final_state_zero). Also metadata zero_output_for_mask_default: the value a
  Keras GRU built without the argument has.
tests/golden/differences/tfa_state.safetensors
  Metadata only (and one placeholder tensor): TFA's AttentionWrapperState field names
  (tfa_state_fields) and tf.contrib's (contrib_state_fields, as TF 1.15 defined them: cell_state,
  attention, time, alignments, alignment_history, attention_state; tf.contrib is not in TF 2).

Deterministic: seeded NumPy, op determinism, CPU only, TF_ENABLE_ONEDNN_OPTS=0.
Run (from the repository root):  tools/reference/.venv/bin/python tools/reference/gen_differences.py
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
from export_keras import export_keras  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "differences"))
B, T, I, UNITS = 3, 5, 2, 4
LENGTHS = [5, 3, 2]

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.keras.utils.set_random_seed(0)
tf.config.experimental.enable_op_determinism()


def gru(dtype, **kwargs):
    return tf.keras.layers.GRU(UNITS, reset_after=True, recurrent_activation="sigmoid",
                               return_sequences=True, return_state=True, name="gru",
                               dtype=dtype, **kwargs)


def keras_masking():
    rng = np.random.default_rng(7)
    inputs64 = rng.uniform(-1.0, 1.0, size=(B, T, I))
    shapes = [(I, 3 * UNITS), (UNITS, 3 * UNITS), (2, 3 * UNITS)]
    draws = [rng.uniform(-0.7, 0.7, size=s) for s in shapes]
    mask = tf.sequence_mask(LENGTHS, T)
    default_flag = gru("float32").zero_output_for_mask
    for suffix, np_dtype, tf_dtype in (("", np.float32, "float32"),
                                       ("_f64", np.float64, "float64")):
        x = tf.constant(inputs64.astype(np_dtype))
        results = {}
        for key, kwargs in (("default", {}), ("zero", {"zero_output_for_mask": True})):
            tf.keras.backend.clear_session()
            layer = gru(tf_dtype, **kwargs)
            layer(x)  # build
            layer.set_weights([d.astype(np_dtype) for d in draws])
            outputs, state = layer(x, mask=mask)
            results[key] = (np.asarray(outputs), np.asarray(state), layer)
        extra = {"inputs": x.numpy(), "lengths": np.asarray(LENGTHS, np.int64)}
        for key, (outputs, state, _) in results.items():
            extra["outputs_" + key] = outputs
            extra["final_state_" + key] = state
        meta = {"layer": "tf.keras.layers.GRU(4, reset_after=True) called with mask",
                "zero_output_for_mask_default": int(bool(default_flag)),
                "dtype": tf_dtype, "tensorflow": tf.__version__}
        path = os.path.join(OUT, "keras_masking" + suffix + ".safetensors")
        export_keras(results["zero"][2], path, meta, extra_tensors=extra)
        print(os.path.relpath(path), os.path.getsize(path), "bytes")


def tfa_state():
    fields = ",".join(tfa.seq2seq.AttentionWrapperState._fields)
    contrib = "cell_state,attention,time,alignments,alignment_history,attention_state"
    path = os.path.join(OUT, "tfa_state.safetensors")
    write_safetensors(path, {"placeholder": np.zeros([1], np.float32)},
                      {"tfa_state_fields": fields, "contrib_state_fields": contrib,
                       "tensorflow_addons": tfa.__version__, "tensorflow": tf.__version__})
    print(os.path.relpath(path), "tfa_state_fields =", fields)


def main():
    os.makedirs(OUT, exist_ok=True)
    keras_masking()
    tfa_state()


if __name__ == "__main__":
    main()
