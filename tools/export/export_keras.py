#!/usr/bin/env python3
"""Exports the weights of a Keras (TF2, Keras 2.x) model or layer to a .safetensors file.

Every weight is written under its Keras weight name with the ":0" suffix removed, e.g.

    gru/gru_cell/kernel            [input_depth, 3*units]
    gru/gru_cell/recurrent_kernel  [units, 3*units]
    gru/gru_cell/bias              [2, 3*units] (reset_after=True) or [3*units] (reset_after=False)
    lstm/lstm_cell/kernel          [input_depth, 4*units]
    lstm/lstm_cell/recurrent_kernel[units, 4*units]
    lstm/lstm_cell/bias            [4*units]
    dense/kernel, dense/bias, embedding/embeddings, ...

Keras layouts (these differ from the TF1 rnn_cell layouts):

* GRU: the 3*units columns are the gates in the order z (update), r (reset), h (candidate).
  The new state is h' = z * h + (1 - z) * h~.
  - reset_after=True (the Keras 2 default, "CuDNN compatible"): bias is [2, 3*units]; row 0 is
    the input bias, row 1 the recurrent bias, and the reset gate is applied after the recurrent
    matmul: h~ = tanh(x W_h + b_in_h + r * (h U_h + b_rec_h)).
  - reset_after=False: bias is [3*units] (input bias only) and
    h~ = tanh(x W_h + (r * h) U_h + b_h).
* LSTM: the 4*units columns are the gates in the order i, f, c (candidate), o; bias is
  [4*units]; there is no separate forget_bias (unit_forget_bias=True only affects the
  initialiser). State is [h, c] in Keras order (return_state gives output, h, c).

Library use:   export_keras(model_or_layer, path, metadata)
CLI:           python export_keras.py MODEL (.keras / .h5 / SavedModel dir) OUT.safetensors
                   [--meta key=value ...] [--dtype float32|float64|keep] [--case LAYER ...]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402,F401


def keras_weight_name(weight):
    """'gru/gru_cell/kernel:0' -> 'gru/gru_cell/kernel'."""
    name = weight.name
    if ":" in name:
        name = name.rsplit(":", 1)[0]
    return name


def keras_weights(model_or_layer, dtype=None):
    """Returns {keras name: numpy array} for every weight (trainable and not)."""
    out = {}
    for w in model_or_layer.weights:
        name = keras_weight_name(w)
        if name in out:
            raise ValueError(f"duplicate Keras weight name {name!r}")
        value = np.asarray(w.numpy())
        if dtype is not None:
            value = value.astype(dtype)
        out[name] = np.ascontiguousarray(value)
    return out


def export_keras(model_or_layer, path, metadata=None, extra_tensors=None, dtype=None):
    """Writes every weight of `model_or_layer` under its Keras name (without ':0') to `path`.

    `extra_tensors` (optional dict) is merged in (names must not clash); `dtype` (optional)
    casts the weights (default: keep each weight's own dtype). Returns the dict written.
    """
    tensors = keras_weights(model_or_layer, dtype)
    for k, v in (extra_tensors or {}).items():
        if k in tensors:
            raise ValueError(f"extra tensor {k!r} clashes with a weight name")
        tensors[k] = np.ascontiguousarray(v)
    meta = {"source": "keras", "exporter": "tools/export/export_keras.py"}
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    write_safetensors(path, tensors, meta)
    return tensors


def _load_model(path):
    import tensorflow as tf
    try:
        return tf.keras.models.load_model(path, compile=False)
    except Exception:
        # Models with custom objects (e.g. tensorflow_addons layers) need those registered.
        import tensorflow_addons  # noqa: F401
        return tf.keras.models.load_model(path, compile=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help=".keras / .h5 file or SavedModel directory")
    ap.add_argument("out", help="output .safetensors")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--dtype", default="keep", choices=["keep", "float32", "float64"])
    ap.add_argument("--case", action="append", default=[], metavar="LAYER",
                    help="also write OUT_stem.LAYER.case.safetensors: the Keras GRU/LSTM layer "
                         "LAYER run on random inputs (write_case.py), for io::check_case")
    args = ap.parse_args(argv)

    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    model = _load_model(args.model)
    meta = {"keras_model": os.path.basename(os.path.normpath(args.model)),
            "tensorflow": tf.__version__}
    for kv in args.meta:
        k, _, v = kv.partition("=")
        meta[k] = v
    dtype = None if args.dtype == "keep" else np.dtype(args.dtype)
    tensors = export_keras(model, args.out, meta, dtype=dtype)
    for k, v in tensors.items():
        print(f"{k}\t{v.dtype}\t{list(v.shape)}")
    for layer in args.case:
        from write_case import keras_rnn_case
        path = os.path.splitext(args.out)[0] + f".{layer}.case.safetensors"
        keras_rnn_case(path, model.get_layer(layer))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
