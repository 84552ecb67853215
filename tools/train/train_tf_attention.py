#!/usr/bin/env python3
"""Trains a small GRU + Bahdanau-attention seq2seq model on digit reversal, exports it.

Reference: tensorflow-cpu 2.15.1 + tensorflow-addons 0.23.0, TF 1.x graph mode
(tf.compat.v1 Session), float32, CPU only, TF_ENABLE_ONEDNN_OPTS=0, op determinism on, fixed
seeds. Run:  /tmp/tfref/venv/bin/python tools/train/train_tf_attention.py

Task: the source is 3..8 digits (0..9), padded with PAD_ID (0) to MAX_TIME (8); the target is
the source reversed (same length). Vocabulary 11: digits 0..9 and GO_ID = 10.

Model (the names in [] are the canonical TF 1.x names written to the model file):
  embedding [11, 8], shared by encoder and decoder                          [embedding]
  encoder: dynamic_rnn(GRUCell(32), scope="encoder", sequence_length=src_len) [encoder/gru_cell/*]
  decoder: dynamic_rnn(AttentionWrapper(GRUCell(32), BahdanauAttention(16, memory=encoder
           outputs, memory_sequence_length=src_len, normalize=True), attention_layer_size=32,
           alignment_history=True, output_attention=True), scope="decoder",
           sequence_length=src_len), initial state = zero wrapper state with
           cell_state = encoder final state; teacher forcing: inputs = embedding([GO] + target[:-1])
           [decoder/memory_layer/kernel, decoder/attention_wrapper/bahdanau_attention/*,
            decoder/attention_wrapper/gru_cell/*, decoder/attention_wrapper/attention_layer/kernel]
  logits = Dense(10) over the decoder outputs                           [output_projection/*]
  loss = softmax cross-entropy averaged over valid positions; Adam.

Training stops when the teacher-forced token accuracy on a 512-sequence held-out set exceeds
0.98 (checked every EVAL_EVERY steps), or at --max-steps, or at --time-limit seconds. The first
two are deterministic, so a rerun writes byte-identical files; only the time limit depends on the
machine (the script says which criterion stopped it). Held-out sequences never appear in
training batches.

Writes tests/golden/trained/reverse_attention_model.safetensors (weights, float32) and
tests/golden/trained/reverse_attention_expected.safetensors (8 held-out sequences run through
the trained graph: inputs, encoder/decoder outputs and states, logits, predictions).
"""
import argparse
import os
import sys
import tempfile
import time

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tensorflow_addons as tfa  # noqa: E402

from export_tf1 import export_checkpoint, export_session, tf1_names  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

tf.get_logger().setLevel("ERROR")
tf.compat.v1.disable_eager_execution()
tf.config.experimental.enable_op_determinism()

VOCAB, GO_ID, PAD_ID, NUM_DIGITS = 11, 10, 0, 10
EMBED, UNITS, ATT_UNITS, ATT_LAYER = 8, 32, 16, 32
MAX_TIME, MIN_LEN = 8, 3
BATCH, HELDOUT, EVAL_EVERY, TARGET_ACC = 64, 512, 50, 0.98
SEED = 20240607
OUT = os.path.join(ROOT, "tests", "golden", "trained")
# The 8 sequences of the expected-values file: every length 3..8, 3 and 8 twice.
EVAL8_LENGTHS = [8, 3, 5, 7, 4, 6, 8, 3]


# ---------------------------------------------------------------------------------------------
# Data


def make_batch(seqs):
    """seqs: list of digit lists -> (source_ids, source_length, decoder_input_ids, target_ids).

    All [B, MAX_TIME] int64 except source_length [B]. Past a row's length every id is PAD_ID;
    decoder inputs are [GO] + target[:-1] on the valid positions.
    """
    b = len(seqs)
    src = np.full((b, MAX_TIME), PAD_ID, np.int64)
    tgt = np.full((b, MAX_TIME), PAD_ID, np.int64)
    dec = np.full((b, MAX_TIME), PAD_ID, np.int64)
    lens = np.zeros(b, np.int64)
    for i, s in enumerate(seqs):
        n = len(s)
        lens[i] = n
        src[i, :n] = s
        tgt[i, :n] = s[::-1]
        dec[i, 0] = GO_ID
        dec[i, 1:n] = tgt[i, :n - 1]
    return src, lens, dec, tgt


def random_seq(rng, length=None):
    n = int(rng.integers(MIN_LEN, MAX_TIME + 1)) if length is None else length
    return tuple(int(d) for d in rng.integers(0, NUM_DIGITS, size=n))


def heldout_sets():
    """The 8 evaluation sequences (given lengths) and 512 more held-out ones, all distinct."""
    rng = np.random.default_rng(SEED + 1)
    seen, eval8, big = set(), [], []
    for n in EVAL8_LENGTHS:
        s = random_seq(rng, n)
        while s in seen:
            s = random_seq(rng, n)
        seen.add(s)
        eval8.append(s)
    while len(big) < HELDOUT:
        s = random_seq(rng)
        if s not in seen:
            seen.add(s)
            big.append(s)
    return eval8, big, seen


def train_batches(excluded):
    """Endless seeded training batches; sequences in `excluded` (held-out) are redrawn."""
    rng = np.random.default_rng(SEED + 2)
    while True:
        seqs = []
        while len(seqs) < BATCH:
            s = random_seq(rng)
            if s not in excluded:
                seqs.append(s)
        yield make_batch(seqs)


# ---------------------------------------------------------------------------------------------
# Model


class Model:
    def __init__(self, lr):
        self.src = tf.compat.v1.placeholder(tf.int32, [None, MAX_TIME], "source_ids")
        self.src_len = tf.compat.v1.placeholder(tf.int32, [None], "source_length")
        self.dec_in = tf.compat.v1.placeholder(tf.int32, [None, MAX_TIME], "decoder_input_ids")
        self.tgt = tf.compat.v1.placeholder(tf.int32, [None, MAX_TIME], "target_ids")
        batch = tf.shape(self.src)[0]

        self.embedding = tf.compat.v1.get_variable("embedding", [VOCAB, EMBED], tf.float32)
        self.enc_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.enc_out, self.enc_state = tf.compat.v1.nn.dynamic_rnn(
            self.enc_cell, tf.nn.embedding_lookup(self.embedding, self.src),
            sequence_length=self.src_len, dtype=tf.float32, scope="encoder")

        self.dec_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.mech = tfa.seq2seq.BahdanauAttention(
            ATT_UNITS, memory=self.enc_out, memory_sequence_length=self.src_len, normalize=True)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.dec_cell, self.mech, attention_layer_size=ATT_LAYER, alignment_history=True,
            output_attention=True)
        init = self.wrapper.get_initial_state(batch_size=batch, dtype=tf.float32).clone(
            cell_state=self.enc_state)
        self.dec_out, self.dec_state = tf.compat.v1.nn.dynamic_rnn(
            self.wrapper, tf.nn.embedding_lookup(self.embedding, self.dec_in),
            sequence_length=self.src_len, initial_state=init, scope="decoder")
        self.history = self.dec_state.alignment_history.stack()

        self.proj = tf.compat.v1.layers.Dense(NUM_DIGITS, name="output_projection")
        self.logits = self.proj(self.dec_out)
        self.pred = tf.argmax(self.logits, axis=-1)

        mask = tf.sequence_mask(self.src_len, MAX_TIME, tf.float32)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.tgt, logits=self.logits)
        self.loss = tf.reduce_sum(ce * mask) / tf.reduce_sum(mask)
        correct = tf.cast(tf.equal(tf.cast(self.pred, tf.int32), self.tgt), tf.float32) * mask
        self.correct, self.valid = tf.reduce_sum(correct), tf.reduce_sum(mask)

        opt = tf.compat.v1.train.AdamOptimizer(lr)
        grads, tvars = zip(*opt.compute_gradients(self.loss))
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.train_op = opt.apply_gradients(zip(grads, tvars))

    def feed(self, batch):
        src, lens, dec, tgt = batch
        return {self.src: src, self.src_len: lens, self.dec_in: dec, self.tgt: tgt}

    def accuracy(self, sess, batch):
        c, v = sess.run([self.correct, self.valid], self.feed(batch))
        return float(c) / float(v)

    def outputs(self):
        """The tensors of the expected-values file, by their names there."""
        return {"encoder/outputs": self.enc_out, "encoder/final_state": self.enc_state,
                "decoder/outputs": self.dec_out,
                "decoder/final_state/cell_state": self.dec_state.cell_state,
                "decoder/final_state/attention": self.dec_state.attention,
                "decoder/final_state/alignments": self.dec_state.alignments,
                "decoder/final_state/attention_state": self.dec_state.attention_state,
                "decoder/final_state/alignment_history": self.history,
                "logits": self.logits, "predicted_ids": self.pred}

    def export_names(self):
        """Canonical TF 1.x names -> variables (see the module docstring)."""
        names = {"embedding": self.embedding,
                 "output_projection/kernel": self.proj.kernel,
                 "output_projection/bias": self.proj.bias}
        names.update(tf1_names(cell=self.enc_cell, cell_scope="encoder/gru_cell"))
        names.update(tf1_names(
            cell=self.dec_cell, mechanism=self.mech, wrapper=self.wrapper,
            cell_scope="decoder/attention_wrapper/gru_cell",
            mechanism_scope="decoder/attention_wrapper/bahdanau_attention",
            memory_layer_scope="decoder/memory_layer",
            wrapper_scope="decoder/attention_wrapper"))
        return names


def rerun_from_file(model_path, batch):
    """Builds the model in a new graph, loads model_path by canonical name, runs `batch`."""
    weights, _ = read_safetensors(model_path)
    graph = tf.Graph()
    with graph.as_default():
        tf.keras.utils.set_random_seed(SEED + 99)  # different init: every value must be loaded
        model = Model(0.0)
        names = model.export_names()
        assert sorted(names) == sorted(weights)
        with tf.compat.v1.Session(graph=graph) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            for n, var in names.items():
                var.load(weights[n], sess)
            return sess.run(model.outputs(), model.feed(batch))


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=240.0, help="seconds of training")
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)

    eval8, big, excluded = heldout_sets()
    eval8_batch, big_batch = make_batch(eval8), make_batch(big)
    assert sorted(set(eval8_batch[1])) == list(range(MIN_LEN, MAX_TIME + 1))

    graph = tf.Graph()
    with graph.as_default():
        # Keras-based initialisers (legacy cells, TFA layers) draw an unseeded initialiser's
        # seed from Python's `random`; set_random_seed seeds it (and NumPy's, TF's global).
        tf.keras.utils.set_random_seed(SEED)
        tf.compat.v1.set_random_seed(SEED)
        model = Model(args.lr)
        names = model.export_names()
        all_trainable = {v.ref() for v in tf.compat.v1.trainable_variables()}
        assert {v.ref() for v in names.values()} == all_trainable, "every weight is exported"
        graph_names = {n: v.name[:-2] for n, v in names.items()}
        config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})
        with tf.compat.v1.Session(graph=graph, config=config) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            batches = train_batches(excluded)
            start = time.monotonic()
            step, loss, acc, stop = 0, float("nan"), 0.0, "max_steps"
            while step < args.max_steps:
                _, loss = sess.run([model.train_op, model.loss], model.feed(next(batches)))
                step += 1
                if step % EVAL_EVERY == 0:
                    acc = model.accuracy(sess, big_batch)
                    if step % (EVAL_EVERY * 10) == 0:
                        print(f"step {step:5d}  loss {loss:.4f}  heldout acc {acc:.4f}  "
                              f"{time.monotonic() - start:6.1f}s", flush=True)
                    if acc > TARGET_ACC:
                        stop = "accuracy"
                        break
                if time.monotonic() - start > args.time_limit:
                    stop = "time_limit"
                    break
            wall = time.monotonic() - start
            loss = float(loss)
            acc = model.accuracy(sess, big_batch)
            print(f"stopped by {stop}: {step} steps, {wall:.1f}s, final loss {loss:.5f}, "
                  f"heldout ({HELDOUT}) teacher-forced token accuracy {acc:.5f}")

            os.makedirs(args.out, exist_ok=True)
            versions = {"tensorflow": tf.__version__, "tensorflow_addons": tfa.__version__,
                        "numpy": np.__version__}
            model_meta = dict(
                task="reverse digit sequence (teacher forcing)", vocab=VOCAB, embedding=EMBED,
                units=UNITS, attention_units=ATT_UNITS, attention_layer_size=ATT_LAYER,
                normalize=1, output_attention=1, cell="gru", mechanism="bahdanau",
                go_id=GO_ID, pad_id=PAD_ID, max_time=MAX_TIME, min_length=MIN_LEN,
                dtype="f32", batch_size=BATCH, learning_rate=args.lr, seed=SEED,
                training_steps=step, final_training_loss=repr(loss),
                heldout_token_accuracy=repr(acc), heldout_size=HELDOUT, stopped_by=stop,
                **versions)
            model_path = os.path.join(args.out, "reverse_attention_model.safetensors")
            weights = export_session(sess, model_path, names, model_meta)

            values = sess.run(model.outputs(), model.feed(eval8_batch))

            # Cross-check the checkpoint path of the exporter: a TF1 Saver keyed by the same
            # canonical names, read back by export_checkpoint, must give the same weights.
            with tempfile.TemporaryDirectory() as ckpt_dir:
                prefix = tf.compat.v1.train.Saver(var_list=names).save(
                    sess, os.path.join(ckpt_dir, "model"), write_meta_graph=False)
                from_ckpt = export_checkpoint(prefix, os.path.join(ckpt_dir, "m.safetensors"))
            assert sorted(from_ckpt) == sorted(weights)
            assert all(np.array_equal(from_ckpt[n], weights[n]) for n in weights)

    # Cross-check the names by role: a fresh graph whose variables are loaded from the model
    # file through tf1_names() must reproduce the expected values exactly (this would catch, e.g.,
    # the memory and query layers, both [32, 16], being swapped).
    reloaded = rerun_from_file(model_path, eval8_batch)
    for n in values:
        assert np.array_equal(reloaded[n], np.asarray(values[n])), f"reload mismatch: {n}"

    src, lens, dec, tgt = eval8_batch
    values = {k: np.asarray(v) for k, v in values.items()}
    values["predicted_ids"] = values["predicted_ids"].astype(np.int64)
    valid = np.arange(MAX_TIME)[None, :] < lens[:, None]
    acc8 = float(np.sum((values["predicted_ids"] == tgt) & valid) / np.sum(valid))
    t_run = values["decoder/final_state/alignment_history"].shape[0]
    expected = dict(values, source_ids=src, source_length=lens, decoder_input_ids=dec)
    expected_path = os.path.join(args.out, "reverse_attention_expected.safetensors")
    write_safetensors(expected_path, expected, dict(
        batch=len(eval8), max_time=MAX_TIME, time=t_run, accuracy=repr(acc8), go_id=GO_ID,
        pad_id=PAD_ID, model="reverse_attention_model.safetensors", **versions))

    # Read both files back.
    w_back, w_meta = read_safetensors(model_path)
    assert sorted(w_back) == sorted(weights) and w_meta["training_steps"] == str(step)
    for n, v in weights.items():
        assert v.dtype == np.float32 and np.array_equal(w_back[n], v), n
    e_back, e_meta = read_safetensors(expected_path)
    assert sorted(e_back) == sorted(expected) and e_meta["time"] == str(t_run)
    for n, v in expected.items():
        assert e_back[n].dtype == v.dtype and np.array_equal(e_back[n], v), n

    print(f"eval8 token accuracy {acc8:.4f} (time {t_run}); predictions vs targets:")
    for i in range(len(eval8)):
        n = lens[i]
        print(f"  src {src[i, :n].tolist()}  pred {values['predicted_ids'][i, :n].tolist()}  "
              f"tgt {tgt[i, :n].tolist()}")
    print("weights (canonical name <- TFA graph name, shape):")
    for n in sorted(weights):
        print(f"  {n:55s} <- {graph_names[n]:45s} {list(weights[n].shape)}")
    for p in (model_path, expected_path):
        print(f"wrote {os.path.relpath(p, ROOT)} ({os.path.getsize(p)} bytes)")
    print("expected tensors:", ", ".join(f"{n}{list(v.shape)}" for n, v in sorted(
        expected.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
