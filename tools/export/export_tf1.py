#!/usr/bin/env python3
"""Exports TensorFlow weights to safetensors under canonical TF 1.x (tf.contrib.seq2seq) names.

Two ways in:

1. From a checkpoint (CLI or export_checkpoint()):

       python tools/export/export_tf1.py CHECKPOINT_PREFIX OUT.safetensors [--rename OLD=NEW ...]

   reads the checkpoint with tf.train.load_checkpoint and writes every variable under its
   checkpoint name (no ":0"), except optimizer slots and bookkeeping (Adam/Momentum/... slots,
   beta1_power, beta2_power, global_step, the object graph). --rename OLD=NEW replaces the name
   prefix OLD by NEW (longest matching OLD wins; OLD matches a whole name or whole leading path
   components, so "enc" does not match "encoder/..."). Run it with the reference venv, e.g.
   /tmp/tfref/venv/bin/python.

2. From a live graph-mode session (tf1_names() + export_session()): TF Addons names its
   variables differently from TF 1.x (the Bahdanau memory layer is "BahdanauAttention/kernel",
   the query layer "attention_wrapper/BahdanauAttention/kernel", the wrapped cell's variables
   sit directly under the dynamic_rnn scope, the attention layer under "attention_wrapper/"
   outside any dynamic_rnn scope), so tf1_names() picks the variables by role from the Python
   objects and gives them the names tf.contrib.seq2seq would have given them.

Values are written with their own dtype (float32 stays float32). The C++ side loads these files
with the names as written here.
"""
import argparse
import os
import sys

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from safetensors_io import write_safetensors  # noqa: E402

# A checkpoint key containing any of these is an optimizer slot or bookkeeping, not a weight.
SKIP_PATTERNS = (
    "/Adam", "/Adagrad", "/AdagradDA", "/Adadelta", "/Momentum", "/RMSProp", "/Ftrl",
    "/ProximalAdagrad", "/ExponentialMovingAverage", "beta1_power", "beta2_power",
    "global_step", "_CHECKPOINTABLE_OBJECT_GRAPH", ".OPTIMIZER_SLOT", "save_counter",
)


# ---------------------------------------------------------------------------------------------
# Checkpoint -> safetensors


def parse_renames(items):
    """Turns ["OLD=NEW", ...] into a list of (old, new) prefix pairs (raises on a bad item)."""
    out = []
    for item in items or ():
        if "=" not in item:
            raise ValueError(f"--rename expects OLD=NEW, got {item!r}")
        old, new = item.split("=", 1)
        if not old:
            raise ValueError(f"--rename: empty OLD in {item!r}")
        out.append((old, new))
    return out


def rename(name, renames):
    """Applies the longest prefix rule of `renames` ((old, new) pairs) that matches `name`.

    OLD matches when name == OLD, when OLD ends with "/" and name starts with it, or when name
    starts with OLD + "/". A name no rule matches is returned unchanged.
    """
    best = None
    for old, new in renames:
        if (name == old or (old.endswith("/") and name.startswith(old))
                or name.startswith(old + "/")):
            if best is None or len(old) > len(best[0]):
                best = (old, new)
    if best is None:
        return name
    return best[1] + name[len(best[0]):]


def is_skipped(name, extra_skip=()):
    """True for optimizer slots / global_step / checkpoint bookkeeping (see SKIP_PATTERNS)."""
    return any(p in name for p in tuple(SKIP_PATTERNS) + tuple(extra_skip))


def read_checkpoint(prefix, renames=(), extra_skip=()):
    """Reads every weight of a TF checkpoint: returns {renamed name: np.ndarray}.

    Skips optimizer slots and bookkeeping (is_skipped) and non-numeric entries; raises
    ValueError if two variables end up with the same name after renaming.
    """
    import tensorflow as tf

    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    out, origin = {}, {}
    for key in sorted(reader.get_variable_to_shape_map()):
        name = key[:-2] if key.endswith(":0") else key
        if is_skipped(name, extra_skip) or not dtypes[key].is_numpy_compatible:
            continue
        value = np.asarray(reader.get_tensor(key))
        if value.dtype.kind not in "biuf":
            continue
        new = rename(name, renames)
        if new in out:
            raise ValueError(f"{key} and {origin[new]} both map to {new!r}")
        out[new], origin[new] = value, key
    return out


def export_checkpoint(prefix, path, renames=(), metadata=None, extra_skip=()):
    """Writes the weights of checkpoint `prefix` to safetensors file `path`; returns them."""
    tensors = read_checkpoint(prefix, renames, extra_skip)
    meta = {"source": "tf1_checkpoint"}
    meta.update(metadata or {})
    write_safetensors(path, tensors, meta)
    return tensors


# ---------------------------------------------------------------------------------------------
# Live graph -> canonical TF 1.x names


def _need(obj, attr, what):
    var = getattr(obj, attr, None)
    if var is None:
        raise ValueError(f"{what} has no {attr}: build the graph (call the cell / run "
                         "dynamic_rnn) before tf1_names()")
    return var


def _dense_names(layer, scope, names):
    """Names a Dense layer's kernel (and bias, if it has one) as <scope>/kernel, <scope>/bias."""
    names[scope + "/kernel"] = _need(layer, "kernel", f"layer {layer.name}")
    if getattr(layer, "bias", None) is not None:
        names[scope + "/bias"] = layer.bias


def cell_names(cell, scope):
    """Canonical TF 1.x names of a legacy tf.compat.v1.nn.rnn_cell cell's variables.

    GRUCell: <scope>/gates/kernel, <scope>/gates/bias, <scope>/candidate/kernel,
    <scope>/candidate/bias. LSTMCell / BasicLSTMCell / BasicRNNCell: <scope>/kernel,
    <scope>/bias, plus <scope>/w_f_diag, w_i_diag, w_o_diag (peepholes) and
    <scope>/projection/kernel (num_proj) when the cell has them.
    """
    names = {}
    if hasattr(cell, "_gate_kernel") or type(cell).__name__ == "GRUCell":
        names[scope + "/gates/kernel"] = _need(cell, "_gate_kernel", "GRUCell")
        names[scope + "/gates/bias"] = _need(cell, "_gate_bias", "GRUCell")
        names[scope + "/candidate/kernel"] = _need(cell, "_candidate_kernel", "GRUCell")
        names[scope + "/candidate/bias"] = _need(cell, "_candidate_bias", "GRUCell")
        return names
    if hasattr(cell, "_kernel") or type(cell).__name__ in (
            "LSTMCell", "BasicLSTMCell", "BasicRNNCell"):
        names[scope + "/kernel"] = _need(cell, "_kernel", type(cell).__name__)
        names[scope + "/bias"] = _need(cell, "_bias", type(cell).__name__)
        for diag in ("w_f_diag", "w_i_diag", "w_o_diag"):
            if getattr(cell, "_" + diag, None) is not None:
                names[scope + "/" + diag] = getattr(cell, "_" + diag)
        if getattr(cell, "_proj_kernel", None) is not None:
            names[scope + "/projection/kernel"] = cell._proj_kernel
        return names
    raise TypeError(f"unsupported cell type {type(cell).__name__}")


def mechanism_names(mechanism, scope, memory_layer_scope):
    """Canonical TF 1.x names of a TFA attention mechanism's variables.

    <memory_layer_scope>/kernel (the memory layer), <scope>/query_layer/kernel (if the
    mechanism has a query layer), and whichever of <scope>/attention_v, attention_g,
    attention_b, attention_score_bias the mechanism has (attention_g/attention_b only when
    normalize=True for Bahdanau; attention_g only when scale=True for Luong).
    """
    names = {}
    if getattr(mechanism, "memory_layer", None) is not None:
        _dense_names(mechanism.memory_layer, memory_layer_scope, names)
    if getattr(mechanism, "query_layer", None) is not None:
        _dense_names(mechanism.query_layer, scope + "/query_layer", names)
    for attr in ("attention_v", "attention_g", "attention_b", "attention_score_bias"):
        if getattr(mechanism, attr, None) is not None:
            names[scope + "/" + attr] = getattr(mechanism, attr)
    return names


def wrapper_names(wrapper, scope):
    """Canonical TF 1.x name of a TFA AttentionWrapper's own variable(s).

    <scope>/attention_layer/kernel when attention_layer_size was given (none otherwise). With
    several attention layers the later ones are <scope>/attention_layer_1/kernel, ... (the
    names TF 1.x's layer-name uniquifying gives them).
    """
    names = {}
    for i, layer in enumerate(getattr(wrapper, "_attention_layers", None) or ()):
        _dense_names(layer, scope + ("/attention_layer" if i == 0 else
                                     f"/attention_layer_{i}"), names)
    return names


def tf1_names(cell=None, mechanism=None, wrapper=None, cell_scope=None, mechanism_scope=None,
              memory_layer_scope=None, wrapper_scope=None):
    """Maps canonical TF 1.x checkpoint names to the variables of a built graph (by role).

    Call it after the graph is built (variables are created lazily). Arguments:
      cell: a legacy tf.compat.v1.nn.rnn_cell cell; names under cell_scope (see cell_names),
        e.g. "encoder/gru_cell" or "decoder/attention_wrapper/gru_cell".
      mechanism: a tfa.seq2seq attention mechanism; names under mechanism_scope (e.g.
        "decoder/attention_wrapper/bahdanau_attention") and memory_layer_scope (e.g.
        "decoder/memory_layer"); see mechanism_names.
      wrapper: a tfa.seq2seq.AttentionWrapper; names <wrapper_scope>/attention_layer/kernel
        (see wrapper_names). If cell / mechanism are None they default to the wrapper's own
        cell and (single) mechanism, named with cell_scope / mechanism_scope as above.
      wrapper_scope: defaults to the parent of mechanism_scope, else of cell_scope (TF 1.x
        opens both inside the wrapper's scope, e.g. "decoder/attention_wrapper").
    Returns {name: tf.Variable}; raises ValueError on a missing scope or a duplicate name.
    """
    if wrapper is not None:
        if cell is None:
            cell = wrapper._cell
        if mechanism is None:
            mechs = wrapper._attention_mechanisms
            if len(mechs) != 1:
                raise ValueError("wrapper has several mechanisms: pass mechanism= explicitly")
            mechanism = mechs[0]
        if wrapper_scope is None:
            base = mechanism_scope or cell_scope
            if not base or "/" not in base:
                raise ValueError("wrapper given: pass wrapper_scope (or nested scopes)")
            wrapper_scope = base.rsplit("/", 1)[0]
    names = {}

    def add(part):
        for name, var in part.items():
            if name in names:
                raise ValueError(f"duplicate name {name!r}")
            names[name] = var

    if cell is not None:
        if not cell_scope:
            raise ValueError("cell given: pass cell_scope")
        add(cell_names(cell, cell_scope))
    if mechanism is not None:
        if not mechanism_scope or not memory_layer_scope:
            raise ValueError("mechanism given: pass mechanism_scope and memory_layer_scope")
        add(mechanism_names(mechanism, mechanism_scope, memory_layer_scope))
    if wrapper is not None:
        add(wrapper_names(wrapper, wrapper_scope))
    return names


def export_session(sess, path, names, metadata=None):
    """Evaluates `names` ({name: tf.Variable or tensor}) in `sess` and writes them to `path`.

    Every value keeps its dtype; metadata values are stored as strings. Returns
    {name: np.ndarray} (the values written).
    """
    values = sess.run(dict(names))
    tensors = {name: np.asarray(v) for name, v in values.items()}
    write_safetensors(path, tensors, metadata or {})
    return tensors


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="checkpoint prefix (or directory with a 'checkpoint' file)")
    ap.add_argument("out", help="output .safetensors file")
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW",
                    help="replace name prefix OLD by NEW (repeatable; longest OLD wins)")
    ap.add_argument("--skip", action="append", default=[], metavar="SUBSTRING",
                    help="also skip variables whose name contains SUBSTRING (repeatable)")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE",
                    help="add a metadata entry (repeatable)")
    args = ap.parse_args(argv)
    metadata = {}
    for item in args.meta:
        k, _, v = item.partition("=")
        metadata[k] = v
    tensors = export_checkpoint(args.checkpoint, args.out, parse_renames(args.rename),
                                metadata, args.skip)
    for name in sorted(tensors):
        print(f"{name}\t{tensors[name].dtype}\t{list(tensors[name].shape)}")
    print(f"wrote {len(tensors)} tensors to {args.out} ({os.path.getsize(args.out)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
