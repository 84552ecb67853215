#!/usr/bin/env python3
"""Trains a character-level date normaliser (GRU + Bahdanau attention), decodes it in TF, exports.

Reference: tensorflow-cpu 2.15.1 + tensorflow-addons 0.23.0, TF 1.x graph mode
(tf.compat.v1 Session), float32, CPU only, TF_ENABLE_ONEDNN_OPTS=0, op determinism on, fixed
seeds. Run:
  /tmp/tfref/venv/bin/python tools/train/train_date_attention.py            (train, decode, write)
  /tmp/tfref/venv/bin/python tools/train/train_date_attention.py --time-decode
      (no training: loads the written model file and times TF's greedy and beam decodes)
  /tmp/tfref/venv/bin/python tools/train/train_date_attention.py --time-eager
      (the same for the decoders as TF2 tf.functions, eager mode)
  /tmp/tfref/venv/bin/python tools/train/train_date_attention.py --write-checkpoint
      (no training: loads the written model file into the graph and writes the checkpoint below
      from it, as training does)

Task: a date written in one of FORMATS (years 1950..2049, letters in lower, upper or title case)
-> the ISO string YYYY-MM-DD. Day/month order is fixed per format: "a/b/yyyy" is US (month
first), "dd.mm.yyyy" is day first, "yyyy/mm/dd" and "yyyymmdd" are year first; the two-digit year
of "24 nov 26" maps 50..99 -> 1950..1999 and 00..49 -> 2000..2049. Weekdays are the real ones.
No string has two readings (checked over every date and format).

Vocabularies:
  source: PAD_ID = 0, UNK_ID = 1, then the characters of SOURCE_CHARS at ids 2.. (space , - . /
          0-9 A-Z a-z; 69 ids). Padded positions hold PAD_ID; the encoder sees source_length.
  target: ids 0..9 = the digits '0'..'9', 10 = '-', GO_ID = 11, EOS_ID = 12 (13 ids). The decoder
          emits the 10 ISO characters and then EOS (11 steps).

Model (the names in [] are the canonical TF 1.x names written to the model file):
  embedding/source [69, 16], embedding/target [13, 16]       [embedding/source, embedding/target]
  encoder: dynamic_rnn(GRUCell(48), scope="encoder", sequence_length=source_length)
                                                                              [encoder/gru_cell/*]
  decoder: AttentionWrapper(GRUCell(48), BahdanauAttention(32, memory=encoder outputs,
           memory_sequence_length=source_length, normalize=True), attention_layer_size=48,
           alignment_history=True, output_attention=True); initial state =
           get_initial_state(batch).clone(cell_state=encoder final state)
           [decoder/memory_layer/kernel, decoder/attention_wrapper/bahdanau_attention/*,
            decoder/attention_wrapper/gru_cell/*, decoder/attention_wrapper/attention_layer/kernel]
  logits = Dense(13) (with bias) over the wrapper outputs     [output_projection/kernel, /bias]
  training: BasicDecoder(wrapper, TrainingSampler(), output_layer) + dynamic_decode, inputs =
            target embedding of [GO] + the 10 characters, targets = the 10 characters + [EOS];
            softmax cross-entropy averaged over the 11 positions; Adam, global-norm clip 5.
  greedy:   BasicDecoder(wrapper, GreedyEmbeddingSampler(), output_layer, maximum_iterations=12,
            impute_finished=False)(embedding/target, start_tokens=GO, end_token=EOS).
  beam:     BeamSearchDecoder(wrapper, beam_width=4, output_layer, length_penalty_weight=0.6,
            coverage_penalty_weight=0.0, maximum_iterations=12), the same wrapper, mechanism,
            cell and output layer objects (so the same variables) after
            mechanism.setup_memory(tile_batch(encoder outputs, 4), tile_batch(source_length, 4));
            initial state get_initial_state(4 * batch).clone(cell_state=tile_batch(encoder
            final state, 4)). A beam-width-1 decoder built on the untiled memory is checked to
            give exactly the greedy ids. The final predicted_ids are backtracked by
            graph_gather_tree (TFA's own fallback is broken in graph mode: see there).

Data: every held-out (date, format) pair (8 expected-file examples, 500 validation strings, 500
test strings) is excluded from training, whatever its case, so no held-out string is ever a
training string. Batches of 64 random (date, format, case) strings, padded to their longest.
Training stops when greedy decoding gets every validation string exactly right (TARGET_ACC = 1.0,
checked every 100 steps; about 1000 steps, 20 s on 2 cores), or at --max-steps, or at
--time-limit seconds. The first two are deterministic, so a rerun writes byte-identical files;
the script prints which criterion stopped it. Test accuracy is measured on the HELDOUT strings,
which never steer training.

Writes, under tests/golden/trained/:
  date_attention_checkpoint/           the same weights as tf.compat.v1.train.Saver writes them
                                       from the training graph (model.ckpt.index and .data-*; the
                                       names TFA gives them in a graph, e.g. BahdanauAttention/kernel
                                       for the memory layer: see io/tfa.hpp), and config.json = the
                                       metadata below; examples/translate.cpp loads it directly
  date_attention_model.safetensors     the weights (float32, names above) and the metadata
                                       (source_vocab / target_vocab as JSON lists in id order,
                                       ids, sizes, decode settings, TF accuracies, versions)
  date_attention_expected.safetensors  8 held-out strings (B = 8, S = longest of them, K = 4,
                                       T = decode steps): source_ids [B, S] int32 (PAD_ID past
                                       the length), source_length [B] int32, target_ids [B, 11]
                                       int32 (characters + EOS), encoder/final_state [B, 48];
                                       greedy/sample_id [B, T] int32, greedy/rnn_output (logits)
                                       [B, T, 13], greedy/lengths [B] int32,
                                       greedy/final_state/alignment_history [T, B, S] (time-major,
                                       as TF stacks it); beam/predicted_ids [B, T, K] int32
                                       (backtracked), beam/step_predicted_ids, beam/parent_ids
                                       [B, T, K] int32 and beam/scores [B, T, K] float32 (raw
                                       per-step outputs), beam/log_probs [B, K] float32,
                                       beam/lengths [B, K] int32, beam/finished [B, K] bool (final
                                       state). Metadata: sources, targets (JSON), sizes.
  date_heldout.tsv                     a "#" header line, then per test string:
                                       source TAB target TAB tf_greedy TAB tf_beam (decoded ids
                                       cut before the first EOS)
"""
import argparse
import datetime
import json
import os
import shutil
import sys
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
from tensorflow_addons.seq2seq import beam_search_decoder as tfa_beam  # noqa: E402

from export_tf1 import export_session, tf1_names  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

tf.get_logger().setLevel("ERROR")
# TFA's unfetched graph-mode Assert ops are reported at exit as "never used": noise.
tf.get_logger().addFilter(lambda record: "Object was never used" not in record.getMessage())
# --time-eager times TF2 tf.functions: the one mode that keeps eager execution on.
EAGER = "--time-eager" in sys.argv[1:]
if not EAGER:
    tf.compat.v1.disable_eager_execution()
tf.config.experimental.enable_op_determinism()

# Vocabularies.
PAD_ID, UNK_ID = 0, 1
SOURCE_CHARS = " ,-./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SOURCE_VOCAB = ["<pad>", "<unk>"] + list(SOURCE_CHARS)
SOURCE_ID = {c: i for i, c in enumerate(SOURCE_VOCAB) if i >= 2}
TARGET_CHARS = "0123456789-"
GO_ID, EOS_ID = 11, 12
TARGET_VOCAB = list(TARGET_CHARS) + ["<go>", "<eos>"]
VS, VT = len(SOURCE_VOCAB), len(TARGET_VOCAB)
TARGET_STEPS = 11  # 10 characters + EOS

# Model and decoding.
EMBED, UNITS, ATT_UNITS, ATT_LAYER = 16, 48, 32, 48
MAX_ITERATIONS, BEAM_WIDTH, LENGTH_PENALTY = 12, 4, 0.6

# Data and training.
FIRST_DAY, LAST_DAY = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)
NUM_DAYS = (LAST_DAY - FIRST_DAY).days + 1
BATCH, HELDOUT, VALID_SIZE, EVAL_EVERY, TARGET_ACC, MIN_STEPS = 64, 500, 500, 100, 1.0, 0
SEED = 20240611
OUT = os.path.join(ROOT, "tests", "golden", "trained")
MODEL_FILE, EXPECTED_FILE, TSV_FILE = (
    "date_attention_model.safetensors", "date_attention_expected.safetensors", "date_heldout.tsv")

# ---------------------------------------------------------------------------------------------
# Date formats

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def ordinal(n):
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# name -> function of a datetime.date giving the string in "title" case.
FORMATS = [
    ("d_month_yyyy", lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}"),
    ("mon_d_yyyy", lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}"),
    ("us_m/d/yyyy", lambda d: f"{d.month}/{d.day}/{d.year}"),
    ("eu_dd.mm.yyyy", lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}"),
    ("yyyy/mm/dd", lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}"),
    ("weekday_month_d_yyyy",
     lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}"),
    ("d_mon_yy", lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year % 100:02d}"),
    ("month_dth_yyyy", lambda d: f"{MONTHS[d.month - 1]} {ordinal(d.day)}, {d.year}"),
    ("dd-mon-yyyy", lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}"),
    ("iso", lambda d: f"{d.year}-{d.month:02d}-{d.day:02d}"),
    ("wkd_d_mon_yyyy",
     lambda d: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {MONTHS[d.month - 1][:3]} {d.year}"),
    ("the_dth_of_month_yyyy", lambda d: f"the {ordinal(d.day)} of {MONTHS[d.month - 1]}, {d.year}"),
    ("yyyymmdd", lambda d: f"{d.year}{d.month:02d}{d.day:02d}"),
    ("mon._d_yyyy", lambda d: f"{MONTHS[d.month - 1][:3]}. {d.day} {d.year}"),
]
CASES = ("lower", "upper", "title")


def render(day, fmt, case):
    """(day index from FIRST_DAY, format index, case index) -> (source string, ISO target)."""
    d = FIRST_DAY + datetime.timedelta(days=int(day))
    s = FORMATS[fmt][1](d)
    s = s.lower() if CASES[case] == "lower" else s.upper() if CASES[case] == "upper" else s
    return s, d.isoformat()


def check_formats():
    """Every (date, format) gives a distinct lower-case string; returns the longest length."""
    seen, longest = {}, 0
    for day in range(NUM_DAYS):
        for fmt in range(len(FORMATS)):
            s, _ = render(day, fmt, 0)
            assert seen.setdefault(s, (day, fmt)) == (day, fmt), f"ambiguous: {s!r}"
            assert all(c in SOURCE_ID for c in s), s
            longest = max(longest, len(s))
    return longest


def encode_sources(strings, width=None):
    """-> (source_ids [B, width or longest] int32 padded with PAD_ID, source_length [B] int32)."""
    width = width or max(len(s) for s in strings)
    ids = np.full((len(strings), width), PAD_ID, np.int32)
    for i, s in enumerate(strings):
        ids[i, :len(s)] = [SOURCE_ID.get(c, UNK_ID) for c in s]
    return ids, np.array([len(s) for s in strings], np.int32)


def encode_targets(isos):
    """-> (decoder inputs [GO] + chars, targets chars + [EOS]), both [B, 11] int32."""
    chars = np.array([[TARGET_CHARS.index(c) for c in s] for s in isos], np.int32)
    go = np.full((len(isos), 1), GO_ID, np.int32)
    eos = np.full((len(isos), 1), EOS_ID, np.int32)
    return np.concatenate([go, chars], 1), np.concatenate([chars, eos], 1)


def decode_ids(ids):
    """Target ids -> string: characters up to (not including) the first EOS; GO shows as <go>."""
    out = []
    for i in ids:
        if i == EOS_ID:
            break
        out.append(TARGET_VOCAB[i])
    return "".join(out)


def heldout_sets():
    """-> (eval8, valid, test, excluded): lists of (source, target) and the held-out pairs.

    eval8 has 8 different formats (long and short strings); test cycles through every format.
    """
    rng = np.random.default_rng(SEED + 1)
    excluded = set()

    def draw(fmt):
        while True:
            day = int(rng.integers(NUM_DAYS))
            if (day, fmt) not in excluded:
                excluded.add((day, fmt))
                return render(day, fmt, int(rng.integers(len(CASES))))

    eval8 = [draw(f) for f in (5, 2, 12, 6, 11, 3, 8, 1)]
    valid = [draw(i % len(FORMATS)) for i in range(VALID_SIZE)]
    test = [draw(i % len(FORMATS)) for i in range(HELDOUT)]
    return eval8, valid, test, excluded


def train_batches(excluded):
    """Endless seeded batches of (source, target) pairs; held-out (date, format) pairs redrawn."""
    rng = np.random.default_rng(SEED + 2)
    while True:
        pairs = []
        while len(pairs) < BATCH:
            day, fmt, case = (int(rng.integers(NUM_DAYS)), int(rng.integers(len(FORMATS))),
                              int(rng.integers(len(CASES))))
            if (day, fmt) not in excluded:
                pairs.append(render(day, fmt, case))
        yield pairs


# ---------------------------------------------------------------------------------------------
# gather_tree in graph mode
#
# The addons_gather_tree custom op of TFA 0.23 does not load with tensorflow-cpu (undefined
# symbol __cudaUnregisterFatBinary), so TFA falls back to its pure-TF _gather_tree. That one ends
# with `output_ids == end_token`, which in TF 1.x graph mode (eager disabled) is Python object
# identity, not tf.equal: every beam comes out as end_token only. BeamSearchDecoder.finalize (and
# gather_tree_from_array) call the module-level gather_tree, so it is replaced below by
# graph_gather_tree, the algorithm of TFA's C++ kernel. The model also runs TFA's own gather_tree
# eagerly (tf.py_function, where == is element-wise) on the raw step ids, and main() checks that
# both agree on every test string (and --time-eager, which keeps TFA's own, checks its decodes
# against the TSV).

TFA_GATHER_TREE = tfa_beam.gather_tree
tfa.options.disable_custom_kernel()  # it cannot load here anyway; skip the attempt and warning


def graph_gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token):
    """Backtracks beams: step_ids, parent_ids [T, B, K] int32, max_sequence_lengths [B].

    out[t, b, k] = end_token for t >= min(max_sequence_lengths[b], T); below that, follows
    the parents from step_ids[L-1, b, k] back to t = 0; then every id after the first end_token
    of a beam becomes end_token.
    """
    step_ids = tf.convert_to_tensor(step_ids, tf.int32)
    parent_ids = tf.convert_to_tensor(parent_ids, tf.int32)
    end_token = tf.convert_to_tensor(end_token, tf.int32)
    steps = tf.shape(step_ids)[0]
    lengths = tf.minimum(tf.convert_to_tensor(max_sequence_lengths, tf.int32), steps)
    beam0 = tf.broadcast_to(tf.range(tf.shape(step_ids)[2]), tf.shape(step_ids)[1:])

    def body(t, beam, out):
        live = tf.less(t, lengths)[:, None]
        out = out.write(t, tf.where(live, tf.gather(step_ids[t], beam, batch_dims=1), end_token))
        return t - 1, tf.where(live, tf.gather(parent_ids[t], beam, batch_dims=1), beam), out

    _, _, out = tf.while_loop(lambda t, beam, out: t >= 0, body,
                              (steps - 1, beam0, tf.TensorArray(tf.int32, size=steps)))
    ids = out.stack()
    ended = tf.cumsum(tf.cast(tf.equal(ids, end_token), tf.int32), axis=0) > 0
    return tf.where(ended, end_token, ids)


if not EAGER:  # in eager mode (--time-eager, tf.function) == is tf.equal: TFA's own works
    tfa_beam.gather_tree = graph_gather_tree

# ---------------------------------------------------------------------------------------------
# Model


class Model:
    """The training, greedy and beam graphs over one set of variables."""

    def __init__(self, lr):
        self.src = tf.compat.v1.placeholder(tf.int32, [None, None], "source_ids")
        self.src_len = tf.compat.v1.placeholder(tf.int32, [None], "source_length")
        self.dec_in = tf.compat.v1.placeholder(tf.int32, [None, TARGET_STEPS], "decoder_input_ids")
        self.tgt = tf.compat.v1.placeholder(tf.int32, [None, TARGET_STEPS], "target_ids")
        batch = tf.shape(self.src)[0]

        with tf.compat.v1.variable_scope("embedding"):
            self.src_emb = tf.compat.v1.get_variable("source", [VS, EMBED], tf.float32)
            self.tgt_emb = tf.compat.v1.get_variable("target", [VT, EMBED], tf.float32)
        self.enc_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.enc_out, self.enc_state = tf.compat.v1.nn.dynamic_rnn(
            self.enc_cell, tf.nn.embedding_lookup(self.src_emb, self.src),
            sequence_length=self.src_len, dtype=tf.float32, scope="encoder")

        self.dec_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.mech = tfa.seq2seq.BahdanauAttention(
            ATT_UNITS, memory=self.enc_out, memory_sequence_length=self.src_len, normalize=True)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.dec_cell, self.mech, attention_layer_size=ATT_LAYER, alignment_history=True,
            output_attention=True)
        self.proj = tf.compat.v1.layers.Dense(VT, name="output_projection")
        init = self.wrapper.get_initial_state(batch_size=batch, dtype=tf.float32).clone(
            cell_state=self.enc_state)

        # Teacher forcing.
        train_dec = tfa.seq2seq.BasicDecoder(
            self.wrapper, tfa.seq2seq.TrainingSampler(), output_layer=self.proj)
        train_out, _, _ = train_dec(
            tf.nn.embedding_lookup(self.tgt_emb, self.dec_in), initial_state=init,
            sequence_length=tf.fill([batch], TARGET_STEPS))
        self.train_logits = train_out.rnn_output
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=self.tgt,
                                                            logits=self.train_logits)
        self.loss = tf.reduce_mean(ce)
        opt = tf.compat.v1.train.AdamOptimizer(lr)
        grads, tvars = zip(*opt.compute_gradients(self.loss))
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.train_op = opt.apply_gradients(zip(grads, tvars))

        # Greedy decoding, same memory.
        go = tf.fill([batch], GO_ID)
        greedy_dec = tfa.seq2seq.BasicDecoder(
            self.wrapper, tfa.seq2seq.GreedyEmbeddingSampler(), output_layer=self.proj,
            maximum_iterations=MAX_ITERATIONS, impute_finished=False)
        g_out, g_state, g_len = greedy_dec(self.tgt_emb, start_tokens=go, end_token=EOS_ID,
                                           initial_state=init)
        self.greedy = {"greedy/sample_id": g_out.sample_id, "greedy/rnn_output": g_out.rnn_output,
                       "greedy/lengths": g_len,
                       "greedy/final_state/alignment_history": g_state.alignment_history.stack()}

        # Beam width 1 on the same (untiled) memory: must equal greedy.
        self.beam1 = self._beam(1, init, go)["beam/predicted_ids"][:, :, 0]

        # Beam search: the same mechanism object re-set-up on the tiled memory, so the memory
        # layer, query layer, attention layer, cells and projection are the same variables.
        self.mech.setup_memory(tfa.seq2seq.tile_batch(self.enc_out, BEAM_WIDTH),
                               memory_sequence_length=tfa.seq2seq.tile_batch(self.src_len,
                                                                             BEAM_WIDTH))
        tiled = self.wrapper.get_initial_state(
            batch_size=batch * BEAM_WIDTH, dtype=tf.float32).clone(
            cell_state=tfa.seq2seq.tile_batch(self.enc_state, BEAM_WIDTH))
        self.beam = self._beam(BEAM_WIDTH, tiled, go)

    def _beam(self, width, init, go):
        dec = tfa.seq2seq.BeamSearchDecoder(
            self.wrapper, beam_width=width, output_layer=self.proj,
            length_penalty_weight=LENGTH_PENALTY, coverage_penalty_weight=0.0,
            maximum_iterations=MAX_ITERATIONS)
        out, state, lengths = dec(self.tgt_emb, start_tokens=go, end_token=EOS_ID,
                                  initial_state=init)
        raw = out.beam_search_decoder_output
        # TFA's own gather_tree, run eagerly (see graph_gather_tree), for the cross-check.
        self.tfa_gather_tree = tf.py_function(
            lambda *a: TFA_GATHER_TREE(*a),
            [tf.transpose(raw.predicted_ids, [1, 0, 2]), tf.transpose(raw.parent_ids, [1, 0, 2]),
             tf.cast(tf.reduce_max(lengths, axis=1), tf.int32), EOS_ID], tf.int32)
        return {"beam/predicted_ids": out.predicted_ids, "beam/scores": raw.scores,
                "beam/step_predicted_ids": raw.predicted_ids, "beam/parent_ids": raw.parent_ids,
                "beam/log_probs": state.log_probs, "beam/lengths": lengths,
                "beam/finished": state.finished}

    def feed(self, strings, width=None):
        src, lens = encode_sources(strings, width)
        return {self.src: src, self.src_len: lens}

    def train_feed(self, pairs):
        feed = self.feed([s for s, _ in pairs])
        dec_in, tgt = encode_targets([t for _, t in pairs])
        feed.update({self.dec_in: dec_in, self.tgt: tgt})
        return feed

    def decode(self, sess, strings):
        """-> (greedy strings, beam strings) of TF for `strings`."""
        g, b = sess.run([self.greedy["greedy/sample_id"], self.beam["beam/predicted_ids"]],
                        self.feed(strings))
        return [decode_ids(r) for r in g], [decode_ids(r[:, 0]) for r in b]

    def export_names(self):
        """Canonical TF 1.x names -> variables (see the module docstring)."""
        names = {"embedding/source": self.src_emb, "embedding/target": self.tgt_emb,
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


CHECKPOINT_DIR = "date_attention_checkpoint"


def write_checkpoint(sess, metadata, out):
    """The model's variables as tf.compat.v1.train.Saver saves them from the training graph (their
    TFA graph names; no optimizer slots, to keep the file small), and `metadata` as config.json."""
    d = os.path.join(out, CHECKPOINT_DIR)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with sess.graph.as_default():
        saver = tf.compat.v1.train.Saver(var_list=tf.compat.v1.trainable_variables())
    saver.save(sess, os.path.join(d, "model.ckpt"), write_meta_graph=False, write_state=False)
    with open(os.path.join(d, "config.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({str(k): str(v) for k, v in metadata.items()}, f, indent=1, sort_keys=True)
        f.write("\n")
    return d


def session_config(threads=0):
    return tf.compat.v1.ConfigProto(device_count={"GPU": 0}, intra_op_parallelism_threads=threads,
                                    inter_op_parallelism_threads=threads)


def load_model(model_path, threads=0):
    """A fresh graph + session with every variable loaded by canonical name from model_path."""
    weights, meta = read_safetensors(model_path)
    graph = tf.Graph()
    with graph.as_default():
        tf.keras.utils.set_random_seed(SEED + 99)  # different init: every value must be loaded
        model = Model(0.0)
        names = model.export_names()
        assert sorted(names) == sorted(weights)
        sess = tf.compat.v1.Session(graph=graph, config=session_config(threads))
        sess.run(tf.compat.v1.global_variables_initializer())
        for n, var in names.items():
            var.load(weights[n], sess)
    return model, sess, meta


def accuracy(pred, pairs):
    return sum(p == t for p, (_, t) in zip(pred, pairs)) / len(pairs)


# ---------------------------------------------------------------------------------------------
# Timing


class EagerDecoders:
    """The greedy and beam decoders as TF2 tf.functions (eager mode, --time-eager only).

    Same objects and settings as Model; every weight is loaded from the model file by canonical
    name. Each function maps (source_ids [B, S], source_length [B]) to ids: greedy sample_id
    [B, T], beam predicted_ids [B, T, K].
    """

    def __init__(self, weights):
        self.src_emb = tf.Variable(tf.zeros([VS, EMBED]))
        self.tgt_emb = tf.Variable(tf.zeros([VT, EMBED]))
        self.enc_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.dec_cell = tf.compat.v1.nn.rnn_cell.GRUCell(UNITS)
        self.mech = tfa.seq2seq.BahdanauAttention(ATT_UNITS, normalize=True)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.dec_cell, self.mech, attention_layer_size=ATT_LAYER, alignment_history=True,
            output_attention=True)
        self.proj = tf.compat.v1.layers.Dense(VT, name="output_projection")
        spec = (tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32))
        self.greedy = tf.function(self._greedy, input_signature=spec)
        self.beam = tf.function(self._beam, input_signature=spec)
        self.greedy(*encode_sources(["1 jan 2000"]))  # creates the variables
        names = {"embedding/source": self.src_emb, "embedding/target": self.tgt_emb,
                 "output_projection/kernel": self.proj.kernel,
                 "output_projection/bias": self.proj.bias}
        names.update(tf1_names(cell=self.enc_cell, cell_scope="encoder/gru_cell"))
        names.update(tf1_names(
            cell=self.dec_cell, mechanism=self.mech, wrapper=self.wrapper,
            cell_scope="decoder/attention_wrapper/gru_cell",
            mechanism_scope="decoder/attention_wrapper/bahdanau_attention",
            memory_layer_scope="decoder/memory_layer",
            wrapper_scope="decoder/attention_wrapper"))
        assert sorted(names) == sorted(weights)
        for n, var in names.items():
            var.assign(weights[n])

    def _encode(self, src, lens, width):
        out, state = tf.compat.v1.nn.dynamic_rnn(
            self.enc_cell, tf.nn.embedding_lookup(self.src_emb, src), sequence_length=lens,
            dtype=tf.float32, scope="encoder")
        if width > 1:
            out, lens, state = (tfa.seq2seq.tile_batch(x, width) for x in (out, lens, state))
        self.mech.setup_memory(out, memory_sequence_length=lens)
        return self.wrapper.get_initial_state(batch_size=tf.shape(out)[0],
                                              dtype=tf.float32).clone(cell_state=state)

    def _greedy(self, src, lens):
        dec = tfa.seq2seq.BasicDecoder(
            self.wrapper, tfa.seq2seq.GreedyEmbeddingSampler(), output_layer=self.proj,
            maximum_iterations=MAX_ITERATIONS, impute_finished=False)
        out, _, _ = dec(self.tgt_emb, start_tokens=tf.fill([tf.shape(src)[0]], GO_ID),
                        end_token=EOS_ID, initial_state=self._encode(src, lens, 1))
        return out.sample_id

    def _beam(self, src, lens):
        dec = tfa.seq2seq.BeamSearchDecoder(
            self.wrapper, beam_width=BEAM_WIDTH, output_layer=self.proj,
            length_penalty_weight=LENGTH_PENALTY, coverage_penalty_weight=0.0,
            maximum_iterations=MAX_ITERATIONS)
        out, _, _ = dec(self.tgt_emb, start_tokens=tf.fill([tf.shape(src)[0]], GO_ID),
                        end_token=EOS_ID, initial_state=self._encode(src, lens, BEAM_WIDTH))
        return out.predicted_ids


def median_ms(run, repeats):
    """(median, min) wall time of run() in ms over `repeats` calls after 5 warm-up calls."""
    for _ in range(5):
        run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1e3, float(np.min(times)) * 1e3


def time_decode(args):
    """Times TF's decodes of the written model; first checks they give the TSV's strings."""
    model_path = os.path.join(args.out, MODEL_FILE)
    with open(os.path.join(args.out, TSV_FILE), encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    sources = [r[0] for r in rows]
    want = ([r[2] for r in rows], [r[3] for r in rows])
    table = []
    if EAGER:
        weights, _ = read_safetensors(model_path)
        dec = EagerDecoders(weights)
        src, lens = (tf.constant(x) for x in encode_sources(sources))
        got = ([decode_ids(r) for r in dec.greedy(src, lens).numpy()],
               [decode_ids(r[:, 0]) for r in dec.beam(src, lens).numpy()])
        assert got == want, "tf.function decodes differ from the TSV"
        for batch in (1, 64, len(sources)):
            src, lens = (tf.constant(x) for x in encode_sources(sources[:batch]))
            for name, fn in (("greedy", dec.greedy), ("beam", dec.beam)):
                med, mn = median_ms(lambda: fn(src, lens).numpy(), args.repeats)
                table.append((name, "default", batch, med, mn))
        how = "TF2 eager, tf.function(ids from source ids) + .numpy()"
    else:
        for threads in (0, 1):
            model, sess, _ = load_model(model_path, threads)
            assert model.decode(sess, sources) == want, "session decodes differ from the TSV"
            for batch in (1, 64, len(sources)):
                feed = model.feed(sources[:batch])
                for name, fetch in (("greedy", model.greedy["greedy/sample_id"]),
                                    ("beam", model.beam["beam/predicted_ids"])):
                    med, mn = median_ms(lambda: sess.run(fetch, feed), args.repeats)
                    table.append((name, threads or "default", batch, med, mn))
            sess.close()
        how = "TF1 graph mode, session.run(ids from source ids)"
    print(f"TF {tf.__version__} / TFA {tfa.__version__} {how}, {args.repeats} runs after 5 "
          f"warm-up, {os.cpu_count()} CPUs; all 500 decodes checked against {TSV_FILE}")
    print("decoder  threads  batch   median ms  us/sequence      min ms")
    for name, thr, batch, med, mn in table:
        print(f"{name:7s}  {str(thr):>7s}  {batch:5d}  {med:10.3f}  {med * 1e3 / batch:11.1f}  "
              f"{mn:10.3f}")
    return 0


# ---------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit", type=float, default=900.0, help="seconds of training")
    ap.add_argument("--max-steps", type=int, default=20000)
    ap.add_argument("--min-steps", type=int, default=MIN_STEPS)
    ap.add_argument("--target-acc", type=float, default=TARGET_ACC)
    ap.add_argument("--lr", type=float, default=0.005)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--time-decode", action="store_true",
                    help="do not train: time TF's decodes of the written model")
    ap.add_argument("--time-eager", action="store_true",
                    help="like --time-decode, for the same decoders as TF2 tf.functions")
    ap.add_argument("--repeats", type=int, default=50, help="timed runs per case")
    ap.add_argument("--write-checkpoint", action="store_true",
                    help="do not train: write the checkpoint of the written model file")
    args = ap.parse_args(argv)
    if args.write_checkpoint:
        model, sess, meta = load_model(os.path.join(args.out, MODEL_FILE))
        print("wrote", os.path.relpath(write_checkpoint(sess, meta, args.out), ROOT))
        return 0
    if args.time_decode or args.time_eager:
        if args.time_eager != EAGER:
            ap.error("--time-eager must be given on the command line")
        return time_decode(args)

    max_source = check_formats()
    eval8, valid, test, excluded = heldout_sets()
    assert len(excluded) == 8 + VALID_SIZE + HELDOUT

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
        with tf.compat.v1.Session(graph=graph, config=session_config()) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            batches = train_batches(excluded)
            start = time.monotonic()
            step, loss, acc, stop = 0, float("nan"), 0.0, "max_steps"
            while step < args.max_steps:
                _, loss = sess.run([model.train_op, model.loss], model.train_feed(next(batches)))
                step += 1
                if step % EVAL_EVERY == 0:
                    acc = accuracy(model.decode(sess, [s for s, _ in valid])[0], valid)
                    print(f"step {step:5d}  loss {loss:.4f}  valid greedy exact {acc:.4f}  "
                          f"{time.monotonic() - start:6.1f}s", flush=True)
                    if acc >= args.target_acc and step >= args.min_steps:
                        stop = "accuracy"
                        break
                if time.monotonic() - start > args.time_limit:
                    stop = "time_limit"
                    break
            wall = time.monotonic() - start
            loss = float(loss)

            greedy, beam = model.decode(sess, [s for s, _ in test])
            g_acc, b_acc = accuracy(greedy, test), accuracy(beam, test)
            v_acc = accuracy(model.decode(sess, [s for s, _ in valid])[0], valid)
            print(f"stopped by {stop}: {step} steps, {wall:.1f}s, final loss {loss:.5f}; "
                  f"test ({HELDOUT}) exact match greedy {g_acc:.4f} beam {b_acc:.4f}, "
                  f"valid greedy {v_acc:.4f}")

            # Beam width 1 == greedy, and TFA's eager gather_tree == graph_gather_tree, on the
            # whole test set.
            feed = model.feed([s for s, _ in test])
            g_ids, b1_ids, b_ids, tfa_ids = sess.run(
                [model.greedy["greedy/sample_id"], model.beam1, model.beam["beam/predicted_ids"],
                 model.tfa_gather_tree], feed)
            assert g_ids.shape == b1_ids.shape and np.array_equal(g_ids, b1_ids), \
                "beam width 1 differs from greedy"
            assert np.array_equal(b_ids, np.transpose(tfa_ids, [1, 0, 2])), "gather_tree"

            os.makedirs(args.out, exist_ok=True)
            versions = {"tensorflow": tf.__version__, "tensorflow_addons": tfa.__version__,
                        "numpy": np.__version__}
            model_meta = dict(
                task="date normalisation: written date -> ISO YYYY-MM-DD (character level)",
                formats=json.dumps([n for n, _ in FORMATS]),
                source_vocab=json.dumps(SOURCE_VOCAB), target_vocab=json.dumps(TARGET_VOCAB),
                pad_id=PAD_ID, unk_id=UNK_ID, go_id=GO_ID, eos_id=EOS_ID,
                source_vocab_size=VS, target_vocab_size=VT, embedding=EMBED, units=UNITS,
                attention_units=ATT_UNITS, attention_layer_size=ATT_LAYER, normalize=1,
                output_attention=1, alignment_history=1, cell="gru", mechanism="bahdanau",
                max_source_length=max_source, target_length=TARGET_STEPS,
                maximum_iterations=MAX_ITERATIONS, beam_width=BEAM_WIDTH,
                length_penalty_weight=repr(LENGTH_PENALTY), coverage_penalty_weight="0.0",
                dtype="f32", batch_size=BATCH, learning_rate=args.lr, seed=SEED,
                train_steps=step, stopped_by=stop, final_training_loss=repr(loss),
                heldout_size=HELDOUT, heldout_greedy_accuracy=repr(g_acc),
                heldout_beam_accuracy=repr(b_acc), valid_size=VALID_SIZE,
                valid_greedy_accuracy=repr(v_acc), **versions)
            model_path = os.path.join(args.out, MODEL_FILE)
            weights = export_session(sess, model_path, names, model_meta)
            write_checkpoint(sess, model_meta, args.out)

            values = sess.run(fetch_names(model), model.feed([s for s, _ in eval8]))

    # Cross-check the names by role: a fresh graph loaded from the model file through
    # tf1_names() reproduces the expected values and the test decodes exactly.
    r_model, r_sess, _ = load_model(model_path)
    reloaded = r_sess.run(fetch_names(r_model), r_model.feed([s for s, _ in eval8]))
    for n in values:
        assert np.array_equal(reloaded[n], values[n]), f"reload mismatch: {n}"
    assert r_model.decode(r_sess, [s for s, _ in test]) == (greedy, beam)
    r_sess.close()

    src, lens = encode_sources([s for s, _ in eval8])
    expected = {k: np.asarray(v) for k, v in values.items()}
    expected["beam/lengths"] = expected["beam/lengths"].astype(np.int32)
    expected.update({"source_ids": src, "source_length": lens,
                     "target_ids": encode_targets([t for _, t in eval8])[1]})
    t_greedy = expected["greedy/sample_id"].shape[1]
    t_beam = expected["beam/predicted_ids"].shape[1]
    expected_path = os.path.join(args.out, EXPECTED_FILE)
    write_safetensors(expected_path, expected, dict(
        batch=len(eval8), source_time=src.shape[1], greedy_time=t_greedy, beam_time=t_beam,
        beam_width=BEAM_WIDTH, length_penalty_weight=repr(LENGTH_PENALTY),
        maximum_iterations=MAX_ITERATIONS, go_id=GO_ID, eos_id=EOS_ID, pad_id=PAD_ID,
        sources=json.dumps([s for s, _ in eval8]), targets=json.dumps([t for _, t in eval8]),
        model=MODEL_FILE, **versions))

    tsv_path = os.path.join(args.out, TSV_FILE)
    with open(tsv_path, "w", encoding="utf-8", newline="\n") as f:
        f.write("# source\ttarget\ttf_greedy\ttf_beam -- held-out (date, format) pairs never "
                "seen in training; tf_greedy = greedy sample_id, tf_beam = beam "
                f"{BEAM_WIDTH} predicted_ids[:, :, 0]; both cut before the first EOS "
                f"(id {EOS_ID}), ids 0-10 = '0'-'9','-', GO shows as <go>; "
                f"greedy exact match {g_acc:.4f}, beam {b_acc:.4f}\n")
        for (s, t), g, b in zip(test, greedy, beam):
            f.write(f"{s}\t{t}\t{g}\t{b}\n")

    # Read the files back.
    w_back, w_meta = read_safetensors(model_path)
    assert sorted(w_back) == sorted(weights) and w_meta["train_steps"] == str(step)
    for n, v in weights.items():
        assert v.dtype == np.float32 and np.array_equal(w_back[n], v), n
    e_back, _ = read_safetensors(expected_path)
    assert sorted(e_back) == sorted(expected)
    for n, v in expected.items():
        assert e_back[n].dtype == v.dtype and np.array_equal(e_back[n], v), n

    print("eval8 (source -> greedy | beam, target):")
    for i, (s, t) in enumerate(eval8):
        g = decode_ids(expected["greedy/sample_id"][i])
        b = decode_ids(expected["beam/predicted_ids"][i, :, 0])
        print(f"  {s!r:34s} -> {g} | {b}   ({t})")
    for (s, t), g, b in zip(test, greedy, beam):
        if g != t or b != t:
            print(f"  miss: {s!r:34s} -> greedy {g} beam {b} (target {t})")
    print("weights (canonical name <- TFA graph name, shape):")
    total = 0
    for n in sorted(weights):
        total += weights[n].size
        print(f"  {n:55s} <- {graph_names[n]:45s} {list(weights[n].shape)}")
    print(f"{total} parameters")
    for p in (model_path, expected_path, tsv_path):
        print(f"wrote {os.path.relpath(p, ROOT)} ({os.path.getsize(p)} bytes)")
    print("expected tensors:", ", ".join(f"{n}{list(v.shape)} {v.dtype}" for n, v in sorted(
        expected.items())))
    return 0


def fetch_names(model):
    fetch = {"encoder/final_state": model.enc_state}
    fetch.update(model.greedy)
    fetch.update(model.beam)
    return fetch


if __name__ == "__main__":
    sys.exit(main())
