#!/usr/bin/env python3
"""Writes tests/golden/*.safetensors: reference values computed by real TensorFlow.

Reference: tensorflow-cpu 2.15.1 + tensorflow-addons 0.23.0 (tools/reference/requirements.txt),
TF 1.x graph mode (tf.compat.v1 Session), CPU only, TF_ENABLE_ONEDNN_OPTS=0, op determinism on.
Cells are tf.compat.v1.nn.rnn_cell.{GRUCell,LSTMCell}, the loop is tf.compat.v1.nn.dynamic_rnn,
attention is tfa.seq2seq.{BahdanauAttention,AttentionWrapper}. Every weight is assigned
explicitly (seeded NumPy RNG, non-zero biases); no TF initialiser value is used.

Each fixture holds the weights, the inputs, the expected outputs and a "__metadata__" map with
the configuration.

This is the one script that regenerates every fixture under tests/golden/. Without arguments it
writes the core cases above in-process, then the topic modules tools/reference/golden_*.py
(TOPIC_MODULES: more cells, mechanisms and wrappers, same TF graph-mode set-up from
golden_common.py), then runs the other generators, each in its own process
(TF graph mode and Keras eager mode cannot share one):
  npz      tools/reference/gen_npz_fixtures.py   tests/golden/npz/      (numpy only)
  keras    tools/train/gen_keras_layouts.py      tests/golden/keras/    (real Keras layers)
           tools/train/gen_keras_attention.py    tests/golden/keras/    (TFA inside Keras)
  trained  tools/train/train_tf_attention.py     tests/golden/trained/  (trains, ~10 s)
           tools/train/train_keras_gru.py        tests/golden/trained/  (trains, ~10 s)
           tools/train/train_date_attention.py   tests/golden/trained/  (trains, ~45 s)
  torch    tools/train/train_torch_rnn.py        tests/golden/trained/  (Debian python3-torch,
                                                 run by /usr/bin/python3; trains, ~1 min)
  checkpoints tools/reference/gen_checkpoints.py tests/golden/checkpoints/ (TensorFlow
                                                 checkpoints and what TF's reader says of them)
  differences tools/reference/gen_differences.py tests/golden/differences/ (Keras masking,
           tools/reference/gen_differences_torch.py  TFA's state fields; PyTorch packed
                                                 sequences, by /usr/bin/python3)
Run:  tools/reference/.venv/bin/python tools/reference/gen_golden.py [--only core,npz,...]
"""
import argparse
import importlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import (DTYPES, ROOT, Weights, as_dict_state, bahdanau_weights,  # noqa: E402
                           cell_weights, make_cell, np, random_state, save, state_tensors, tf,
                           tfa, wave)

# Topic modules run in this process after the core cases; each has generate() and writes its own
# fixtures (issue-4 features). Missing modules are skipped.
TOPIC_MODULES = [
    "golden_lstm", "golden_rnn", "golden_attention", "golden_wrapper", "golden_integration",
    "golden_decode"]

# Generators that run in their own process: (group, interpreter, script).
VENV_PYTHON = sys.executable
SUBPROCESS_GENERATORS = [
    ("npz", VENV_PYTHON, "tools/reference/gen_npz_fixtures.py"),
    ("keras", VENV_PYTHON, "tools/train/gen_keras_layouts.py"),
    ("keras", VENV_PYTHON, "tools/train/gen_keras_attention.py"),
    ("trained", VENV_PYTHON, "tools/train/train_tf_attention.py"),
    ("trained", VENV_PYTHON, "tools/train/train_keras_gru.py"),
    ("trained", VENV_PYTHON, "tools/train/train_date_attention.py"),
    ("torch", "/usr/bin/python3", "tools/train/train_torch_rnn.py"),
    ("checkpoints", VENV_PYTHON, "tools/reference/gen_checkpoints.py"),
    ("differences", VENV_PYTHON, "tools/reference/gen_differences.py"),
    ("differences", "/usr/bin/python3", "tools/reference/gen_differences_torch.py"),
]


# ---------------------------------------------------------------------------------------------
# One cell step: output, next_state = cell(inputs, state)


def gen_cell_step(kind, dt, seed, forget_bias=1.0):
    np_dtype, tf_dtype = DTYPES[dt]
    B, I, H = 4, 5, 3
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-2.0, 2.0, (B, I)).astype(np_dtype)
        x[0, :] = [9.5, -9.5, 12.0, -0.0003, 0.0002]  # saturating and tiny inputs
        state = random_state(w.rng, kind, B, H, np_dtype)
        cell = make_cell(kind, H, tf_dtype, forget_bias)
        out, nxt = cell(tf.constant(x), tf.nest.map_structure(tf.constant, state))
        cell_weights(w, cell, kind)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, nxt_v = sess.run([out, nxt])
    tensors = dict(w.tensors, inputs=x, output=out_v)
    tensors.update({"state/" + k: v for k, v in as_dict_state(kind, state).items()})
    tensors.update(state_tensors("next_state/", kind, nxt_v))
    meta = dict(cell=kind, dtype=dt, batch=B, input_depth=I, num_units=H, forget_bias=forget_bias)
    save(f"{kind}_cell_{dt}" + ("" if forget_bias == 1.0 else "_forget_bias"), tensors, meta)


# ---------------------------------------------------------------------------------------------
# One Bahdanau step: alignments = mechanism(query, state); plus the mechanism's keys and values.


def gen_bahdanau_step(normalize, dt, seed):
    np_dtype, tf_dtype = DTYPES[dt]
    B, H, U, Tm, Dm = 3, 5, 4, 6, 7
    mlen = np.array([6, 2, 1], np.int64)
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        memory = w.rng.uniform(-1.0, 1.0, (B, Tm, Dm)).astype(np_dtype)
        query = w.rng.uniform(-1.0, 1.0, (B, H)).astype(np_dtype)
        mech = tfa.seq2seq.BahdanauAttention(
            U, memory=tf.constant(memory), memory_sequence_length=tf.constant(mlen.astype(np.int32)),
            normalize=normalize, dtype=tf_dtype)
        prev = mech.initial_state(B, tf_dtype)
        alignments, next_state = mech([tf.constant(query), prev])
        bahdanau_weights(w, mech, normalize)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            al, ns, keys, values = sess.run([alignments, next_state, mech.keys, mech.values])
    assert np.array_equal(al, ns)
    tensors = dict(w.tensors, memory=memory, memory_sequence_length=mlen, query=query,
                   alignments=al, keys=keys, values=values)
    meta = dict(dtype=dt, batch=B, query_depth=H, num_units=U, memory_time=Tm, memory_depth=Dm,
                normalize=int(normalize))
    save(f"bahdanau_attention_{'normalized' if normalize else 'plain'}_{dt}", tensors, meta)


# ---------------------------------------------------------------------------------------------
# dynamic_rnn over a bare cell


def gen_dynamic_rnn(kind, dt, variant, seed):
    np_dtype, tf_dtype = DTYPES[dt]
    B, T, I, H = 4, 6, 5, 3
    lengths = {"full": None, "lengths": [6, 1, 3, 0], "time_major": [4, 1, 3, 2],
               "time_major_full": None}[variant]
    time_major = variant.startswith("time_major")
    with_initial = variant == "lengths"
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        init = random_state(w.rng, kind, B, H, np_dtype) if with_initial else None
        cell = make_cell(kind, H, tf_dtype, 1.0)
        seq = None if lengths is None else tf.constant(lengths, tf.int32)
        init_t = None if init is None else tf.nest.map_structure(tf.constant, init)
        out, final = tf.compat.v1.nn.dynamic_rnn(cell, tf.constant(x), sequence_length=seq,
                                                 initial_state=init_t, dtype=tf_dtype,
                                                 time_major=time_major)
        cell_weights(w, cell, kind)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, final_v = sess.run([out, final])
    tensors = dict(w.tensors, inputs=x, outputs=out_v)
    tensors.update(state_tensors("final_state/", kind, final_v))
    if lengths is not None:
        tensors["sequence_length"] = np.array(lengths, np.int64)
    if init is not None:
        tensors.update({"initial_state/" + k: v for k, v in as_dict_state(kind, init).items()})
    meta = dict(cell=kind, dtype=dt, batch=B, max_time=T, input_depth=I, num_units=H,
                time_major=int(time_major), forget_bias=1.0)
    save(f"dynamic_rnn_{kind}_{variant}_{dt}", tensors, meta)


# ---------------------------------------------------------------------------------------------
# dynamic_rnn over AttentionWrapper(cell, BahdanauAttention)


def gen_wrapper(name, kind, dt, seed, normalize=False, attention_layer_size=None,
                output_attention=True, lengths=(5, 1, 3), memory_lengths=(4, 2, 1),
                time_major=False, clone=False, tutorial=False,
                B=3, T=5, I=3, H=6, U=4, Tm=4, Dm=7):
    np_dtype, tf_dtype = DTYPES[dt]
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype, tutorial=tutorial)
        if tutorial:
            # The tutorial's fix: rank-3 inputs, and the attention attends over those same inputs
            # (memory = inputs, memory_sequence_length = sequence_length).
            x = wave((B, T, I), 0.0, 1.0).astype(np_dtype)
            memory = x
        else:
            x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
            memory = w.rng.uniform(-1.0, 1.0, (B, Tm, Dm)).astype(np_dtype)
        cell = make_cell(kind, H, tf_dtype, 1.0)
        mech = tfa.seq2seq.BahdanauAttention(
            U, memory=tf.constant(memory),
            memory_sequence_length=None if memory_lengths is None
            else tf.constant(list(memory_lengths), tf.int32),
            normalize=normalize, dtype=tf_dtype)
        wrapper = tfa.seq2seq.AttentionWrapper(
            cell, mech, attention_layer_size=attention_layer_size, alignment_history=True,
            output_attention=output_attention, dtype=tf_dtype)
        init = wrapper.get_initial_state(batch_size=B, dtype=tf_dtype)
        clone_state = None
        if clone:
            clone_state = random_state(w.rng, kind, B, H, np_dtype)
            init = init.clone(cell_state=tf.nest.map_structure(tf.constant, clone_state))
        seq = None if lengths is None else tf.constant(list(lengths), tf.int32)
        out, final = tf.compat.v1.nn.dynamic_rnn(wrapper, tf.constant(x), sequence_length=seq,
                                                 initial_state=init, dtype=tf_dtype,
                                                 time_major=time_major)
        history = final.alignment_history.stack()
        cell_weights(w, cell, kind)
        bahdanau_weights(w, mech, normalize)
        if attention_layer_size is not None:
            w.set(wrapper._attention_layers[0].kernel, "attention_layer/kernel", 0.6)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            fin_fetch = {"cell_state": final.cell_state, "attention": final.attention,
                         "alignments": final.alignments, "attention_state": final.attention_state}
            out_v, fin, hist = sess.run([out, fin_fetch, history])
    tensors = dict(w.tensors, inputs=x, outputs=out_v, memory=memory)
    tensors.update(state_tensors("final_state/cell_state/", kind, fin["cell_state"]))
    for field in ("attention", "alignments", "attention_state"):
        tensors["final_state/" + field] = fin[field]
    tensors["final_state/alignment_history"] = hist
    if lengths is not None:
        tensors["sequence_length"] = np.array(lengths, np.int64)
    if memory_lengths is not None:
        tensors["memory_sequence_length"] = np.array(memory_lengths, np.int64)
    if clone_state is not None:
        tensors.update({"initial_cell_state/" + k: v
                        for k, v in as_dict_state(kind, clone_state).items()})
    # TFA's state has no `time`; TF 1.x's time counts the steps the loop ran, which is exactly the
    # number of alignment_history entries (one write per step), so the fixture stores it here.
    meta = dict(cell=kind, dtype=dt, batch=B, max_time=T, input_depth=I, num_units=H,
                attention_units=U, memory_time=Tm, memory_depth=Dm, normalize=int(normalize),
                attention_layer_size=attention_layer_size or 0,
                output_attention=int(output_attention), alignment_history=1,
                time_major=int(time_major), forget_bias=1.0, time=hist.shape[0],
                weights="wave" if tutorial else "rng")
    save(name, tensors, meta)


def generate_core():
    seed = 1000
    for dt in ("f32", "f64"):
        for kind in ("gru", "lstm"):
            seed += 1
            gen_cell_step(kind, dt, seed)
            for variant in ("full", "lengths", "time_major", "time_major_full"):
                seed += 1
                gen_dynamic_rnn(kind, dt, variant, seed)
        gen_cell_step("lstm", dt, seed + 500, forget_bias=0.5)
        for normalize in (False, True):
            seed += 1
            gen_bahdanau_step(normalize, dt, seed)
        for kind in ("gru", "lstm"):
            for normalize in (False, True):
                for als in (None, 5):
                    for oa in (True, False):
                        seed += 1
                        name = "attention_wrapper_{}_{}_{}_{}_{}".format(
                            kind, "norm" if normalize else "plain",
                            f"layer{als}" if als else "nolayer",
                            "outattn" if oa else "outcell", dt)
                        gen_wrapper(name, kind, dt, seed, normalize=normalize,
                                    attention_layer_size=als, output_attention=oa)
            seed += 1
            # Time-major inputs, an early stop (max length 3 < T = 5), no memory lengths, and
            # an initial state made by clone(cell_state=...).
            gen_wrapper(f"attention_wrapper_{kind}_clone_time_major_{dt}", kind, dt, seed,
                        normalize=True, attention_layer_size=4, lengths=(3, 2, 3),
                        memory_lengths=None, time_major=True, clone=True)
            seed += 1
            gen_wrapper(f"attention_wrapper_{kind}_nolengths_{dt}", kind, dt, seed,
                        lengths=None, memory_lengths=(4, 4, 3))
        # Every input length 0: TF's loop still runs one step (time 1, one history entry) and
        # every row keeps its initial (zero) state.
        gen_wrapper(f"attention_wrapper_gru_zerolengths_{dt}", "gru", dt, seed + 700,
                    lengths=(0, 0, 0))
    # The tutorial encoder (examples/tutorial_encoder.cpp recomputes the same wave weights).
    gen_wrapper("tutorial_encoder_f32", "gru", "f32", 0, lengths=(5, 3, 2),
                memory_lengths=(5, 3, 2), tutorial=True, B=3, T=5, I=3, H=6, U=4, Tm=5, Dm=3)


def main():
    groups = ["core"] + sorted({g for g, _, _ in SUBPROCESS_GENERATORS})
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default=",".join(groups),
                    help="comma-separated groups to regenerate: " + ", ".join(groups))
    wanted = set(ap.parse_args().only.split(","))
    unknown = wanted - set(groups)
    if unknown:
        ap.error("unknown group(s): " + ", ".join(sorted(unknown)))
    if "core" in wanted:
        generate_core()
        for name in TOPIC_MODULES:
            if os.path.exists(os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")):
                importlib.import_module(name).generate()
    for group, python, script in SUBPROCESS_GENERATORS:
        if group in wanted:
            print("running", script, flush=True)
            subprocess.run([python, os.path.join(ROOT, script)], check=True, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
