#!/usr/bin/env python3
"""Writes a "case" next to exported weights: inputs and the outputs TensorFlow computed from them,
so that the C++ side can prove a ported model matches (seq2seq::io::check_case, or
`seq2seq-inspect WEIGHTS --case CASE.safetensors`).

A case is a .safetensors file with
  inputs            [batch, time, depth]   what the recurrent layer read
  sequence_length   [batch] int64          optional (TF 1.x dynamic_rnn's sequence_length)
  outputs           [batch, time, units]   what TensorFlow returned (all steps)
and the metadata
  seq2seq_case = "dynamic_rnn", builder = one of tf1::gru_cell, tf1::lstm_cell, keras::gru_cell,
  keras::lstm_cell, and scope = the variables' scope in the weight file (a checkpoint, or a
  file written by export_tf1.py / export_keras.py).

Library use:
  write_case(path, inputs, outputs, builder, scope, sequence_length=None)
  keras_rnn_case(path, layer, batch=3, time=5, seed=0)   a Keras GRU or LSTM layer
      (return_sequences=True), run by Keras on random inputs; its weights are found under
      "<layer name>/<gru_cell|lstm_cell>" in a save_weights checkpoint or an export_keras file
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

BUILDERS = ("tf1::gru_cell", "tf1::lstm_cell", "keras::gru_cell", "keras::lstm_cell")


def write_case(path, inputs, outputs, builder, scope, sequence_length=None, metadata=None):
    """Writes the case file; returns its size in bytes."""
    if builder not in BUILDERS:
        raise ValueError(f"builder {builder!r}: expected one of {BUILDERS}")
    inputs, outputs = np.asarray(inputs), np.asarray(outputs)
    if inputs.ndim != 3 or outputs.ndim != 3 or inputs.shape[:2] != outputs.shape[:2]:
        raise ValueError(f"inputs {inputs.shape} and outputs {outputs.shape} must be "
                         "[batch, time, depth] and [batch, time, units]")
    tensors = {"inputs": inputs, "outputs": outputs}
    if sequence_length is not None:
        tensors["sequence_length"] = np.asarray(sequence_length, dtype=np.int64)
    meta = {"seq2seq_case": "dynamic_rnn", "builder": builder, "scope": scope}
    meta.update(metadata or {})
    return write_safetensors(path, tensors, meta)


def keras_rnn_case(path, layer, batch=3, time=5, seed=0):
    """The case of a built Keras GRU or LSTM layer (return_sequences=True) on random inputs."""
    import tensorflow as tf
    kind = {"GRU": "gru", "LSTM": "lstm"}.get(type(layer).__name__)
    if kind is None or not layer.return_sequences:
        raise ValueError("keras_rnn_case needs a tf.keras.layers.GRU or LSTM with return_sequences")
    depth = layer.cell.kernel.shape[0]
    rng = np.random.default_rng(seed)
    inputs = rng.uniform(-1.0, 1.0, size=(batch, time, depth)).astype(layer.dtype)
    outputs = layer(tf.constant(inputs))
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return write_case(path, inputs, np.asarray(outputs), f"keras::{kind}_cell",
                      f"{layer.name}/{kind}_cell", metadata={"framework": "keras"})
