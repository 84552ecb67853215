"""Golden fixtures tests/golden/decode_*.safetensors and gather_tree_*.safetensors: TFA 0.23
decoding (spec §5) in TF 2.15. BasicDecoder cases (training, greedy) and tile_batch run in graph
mode as golden_common.py sets it up; BeamSearchDecoder and gather_tree cases run eagerly, in a child
process (`python golden_decode.py`, started by generate()), because in TF1 graph mode TFA's
gather_tree is wrong: the custom kernel does not load (_beam_search_ops.so needs CUDA symbols that
tensorflow-cpu lacks) and TFA's pure-TF fallback compares tensors with `==`, which in legacy graph
mode is Python object identity, so it returns end_token everywhere (and gather_tree_from_array,
which finalize uses on alignment_history, then fails with "indices ... = K + 1 is not in [0, K)").
Eagerly (TF2's default) the fallback computes what the C++ kernel computes. Metadata "mode" is
"eager" in those fixtures. The decoder cell of every decode case is

  tfa.seq2seq.AttentionWrapper(
      tf.compat.v1.nn.rnn_cell.{GRUCell, LSTMCell}(H = 6),      (LSTM forget_bias 1.0)
      tfa.seq2seq.BahdanauAttention(U = 4, memory, memory_sequence_length, normalize),
      attention_layer_size = 5 (or None), alignment_history = True, output_attention = True)

with output layer tf.keras.layers.Dense(V = 8, use_bias = True) (none in one training case), over
a memory [B = 3, Tm = 5, Dm = 4] with memory_sequence_length (5, 3, 2), an embedding [V = 8, E = 4]
and end_token 2. The initial decoder state is wrapper.get_initial_state(batch_size, dtype), and
with clone = 1 its .clone(cell_state = initial_cell_state). Every weight is assigned explicitly
(seeded NumPy RNG); each case searches seeds from a base until its conditions hold (an EOS at
step 0, distinct finishing steps, ties, argmax / top_k margins of at least 1e-3 relative so that
float rounding cannot flip a decision, ...) and asserts them; metadata "seed" is the seed used.

Every decoder gets dtype = the case's dtype. The decoders are Keras layers: without it their
policy is float32 and Keras casts the call's first argument (the training inputs, the embedding)
to float32 before the float64 AttentionWrapper casts it back, so a float64 decode would silently
run on float32-rounded inputs.

Cases
  decode_training_{gru,gru_impute,gru_time_major,gru_impute_time_major}_{f32,f64}
      BasicDecoder(TrainingSampler) with sequence_length (4, 0, 6) over inputs of T = 6 steps:
      impute_finished 0/1 x output_time_major 0/1 (the sampler's inputs are time-major exactly when
      the outputs are: TrainingSampler(time_major = output_time_major)).
  decode_training_lstm_nooutput_clone_{f32,f64}
      LSTM, no output layer and no attention layer: rnn_output is the attention (the context
      vector, width Dm = 4) and sample_id its argmax; the state is cloned; lengths (2, 6, 0).
  decode_greedy_gru_eos[_impute]_{f32,f64}
      BasicDecoder(GreedyEmbeddingSampler), maximum_iterations 12: one row emits EOS at step 0, the
      rows finish at three different steps, the loop stops when every row has finished.
      _impute: the same weights with impute_finished = 1.
  decode_greedy_gru_noeos_{f32,f64}
      The EOS logit can never win (output bias[end_token] = -100): the loop stops at
      maximum_iterations = 7 and every length is 7.
  decode_greedy_lstm_clone_impute_{f32,f64}
      LSTM, normalized attention, cloned state, impute_finished = 1, EOS reachable.
  decode_beam_{...}_f32, and _f64 for k3_gru_lp0, k3_gru_lp06, k3_lstm_lp1_clone (float64 beam
      search runs, but TFA computes the length penalty in float32, ((5 + float32(len))^w) /
      6^w, then casts it to float64; with a coverage penalty float64 fails: TFA multiplies the
      float64 alignments by a float32 mask)
      BeamSearchDecoder(wrapper, beam_width K, output_layer, length_penalty_weight,
      coverage_penalty_weight), maximum_iterations 8, impute_finished 0, called as
      dec(embedding, start_tokens, end_token, initial_state). TF tiled the memory, the memory
      lengths and the cloned cell state with tfa.seq2seq.tile_batch(., K) and called
      get_initial_state(batch_size = B * K); the fixture holds them untiled ([B, ...]).
      In lp0, lp06, lp1_clone and cov04 it is asserted that some beam finished before the last
      step and that some example's beams have different lengths.
        k3_gru_lp0           K 3, length penalty 0
        k3_gru_lp06          K 3, length penalty 0.6, normalize
        k3_lstm_lp1_clone    K 3, LSTM, length penalty 1.0, cloned state
        k3_gru_cov04         K 3, coverage penalty 0.4, length penalty 0.6, normalize
        k1_gru               K 1 (greedy through the beam decoder)
        k3_gru_ties          K 3, output kernel column and bias of token 6 copied from token 5:
                             equal logits; asserted: an exact tie among the top K + 1 candidates
                             (example 0, step 0: tokens 5 and 6 tie for the K-th place; top_k
                             keeps the lower flat index, token 5)
        k3_gru_noeos         K 3, EOS bias -100: stops at maximum_iterations, lengths all 8
  gather_tree_int32.safetensors      tfa.seq2seq.gather_tree on hand-made ids (see gen_gather_tree):
      step_ids, parent_ids [T = 6, B = 6, K = 3] int32, max_sequence_lengths [B] int32,
      expected/beams [T, B, K] int32 (time-major, as gather_tree takes and returns them);
      metadata end_token (2), max_time, batch, beam_width
  decode_tile_batch.safetensors      tfa.seq2seq.tile_batch((t, lengths), 3): t [3, 2, 4] float32,
      lengths [3] int32, expected/t [9, 2, 4], expected/lengths [9] (rows t[0] x 3, t[1] x 3, ...)

Common tensors of the decode fixtures (float tensors in the fixture's dtype; B = 3, K = beam width,
A = attention size = 5, or Dm = 4 without an attention layer; Tm = 5):
  cell/gates/kernel, cell/gates/bias, cell/candidate/kernel, cell/candidate/bias       (GRU)
  cell/kernel, cell/bias                                                               (LSTM)
  mechanism/memory_layer/kernel [Dm, U], mechanism/query_layer/kernel [H, U],
  mechanism/attention_v [U] (+ mechanism/attention_g [] and mechanism/attention_b [U] if normalize)
  attention_layer/kernel [H + Dm, A]              (absent when attention_layer_size = 0)
  output_layer/kernel [A, V], output_layer/bias [V]   (absent when output_layer = 0)
  memory [B, Tm, Dm], memory_sequence_length [B] int32
  initial_cell_state/{h | c, h} [B, H]            (only when clone = 1; untiled)
BasicDecoder fixtures (training and greedy); T_out = metadata "steps" (loop iterations TF ran):
  inputs [B, T, E] (time-major [T, B, E] when output_time_major = 1), sequence_length [B] int32
                                                  (training)
  embedding [V, E], start_tokens [B] int32        (greedy)
  expected/rnn_output [B, T_out, V] (or [B, T_out, Dm] without output layer; [T_out, B, .] when
      output_time_major = 1), expected/sample_id [B, T_out] int32 ([T_out, B] when time-major)
  expected/sequence_lengths [B] int32             (dynamic_decode's third result)
  expected/final_state/cell_state/{h | c, h} [B, H], expected/final_state/attention [B, A],
  expected/final_state/alignments [B, Tm], expected/final_state/attention_state [B, Tm],
  expected/final_state/alignment_history [T_out, B, Tm]     (the TensorArray stacked: time-major)
  With impute_finished = 1 a finished row's rnn_output is 0 and its sample_id 0, and its state is
  copied through (so the final state is the state after its last unfinished step), but the
  alignment_history TensorArray is not copied through: it gets an entry every step for every row,
  the alignments the cell computed from the frozen state and the row's next input (the embedding
  of the id the row really sampled, not of the imputed 0), so these entries differ from the
  impute_finished = 0 run's. With impute_finished = 0 finished rows keep being
  decoded (their later outputs and states are what the cell computed; the values are recorded).
BeamSearchDecoder fixtures; batch-major outputs (output_time_major = 0), T_out = "steps":
  embedding [V, E], start_tokens [B] int32
  expected/predicted_ids [B, T_out, K] int32        FinalBeamSearchDecoderOutput.predicted_ids
                                                    (gather_tree backtracked, end_token after EOS)
  expected/beam/scores [B, T_out, K]                beam_search_decoder_output.scores (top_k values)
  expected/beam/predicted_ids [B, T_out, K] int32   raw per-step word ids
  expected/beam/parent_ids [B, T_out, K] int32      raw per-step parent beams
  expected/all_scores [B, T_out, K, V]             the same decoder with output_all_scores = True:
                                                    every candidate's penalised score before top_k
  expected/final_state/log_probs [B, K], expected/final_state/finished [B, K] int32 (TF bool, 0/1),
  expected/final_state/lengths [B, K] int64,
  expected/final_state/accumulated_attention_probs [B, K, Tm]   (only if coverage_penalty_weight)
  expected/final_state/cell_state/{h | c, h} [B, K, H], expected/final_state/attention [B, K, A],
  expected/final_state/alignments [B, K, Tm], expected/final_state/attention_state [B, K, Tm]
      (the decoder state keeps every cell-state tensor split to [B, K, ...]; these are the raw
      final beams, NOT reordered by finalize)
  expected/final_state/alignment_history [T_out, B * K, Tm]
      finalize (reorder_tensor_arrays) stacks the TensorArray and reorders it along the beam
      paths with gather_tree_from_array (the element shape stays [B * K, Tm], row b * K + k);
      for t >= lengths[b, k] the entry is copied from beam k itself.
  expected/sequence_lengths [B, K] int32            dynamic_decode's third result (= lengths)
metadata (every decode fixture): case, kind (gru | lstm), dtype, batch, memory_time, memory_depth,
  vocab, embedding_size, num_units, attention_units, attention_layer_size (0: none), normalize,
  output_layer (0/1), clone (0/1), forget_bias, end_token, maximum_iterations (0: none),
  impute_finished, output_time_major, steps (loop iterations TF ran = T_out), seed, sampler
  (training | greedy | beam), and for beams beam_width, length_penalty_weight,
  coverage_penalty_weight; for training max_time (T of the inputs).
"""
import os
import subprocess
import sys

import numpy as np

from golden_common import (DTYPES, Weights, as_dict_state, cell_weights, make_cell, random_state,
                           save, state_tensors, tf, tfa)
from golden_wrapper import mechanism_weights

B, TM, DM, V, E, H, U, LAYER = 3, 5, 4, 8, 4, 6, 4, 5
MEMORY_LENGTHS = (5, 3, 2)
END_TOKEN = 2
START_TOKENS = (0, 4, 7)
TIE = (5, 6)  # ties case: token TIE[1] gets token TIE[0]'s kernel column and bias
MARGIN = 1e-3
MAX_TRIES = 400


class Setup:
    """The decoder cell, its initial state and output layer; the weights are assigned later
    (assign()), once decoding has built every variable."""

    def __init__(self, w, kind, dt, normalize=False, layer_size=LAYER, clone=False, beam_width=0,
                 output_layer=True):
        np_dtype, tf_dtype = DTYPES[dt]
        self.w, self.kind, self.normalize, self.layer_size = w, kind, normalize, layer_size
        self.memory = w.rng.uniform(-1.0, 1.0, (B, TM, DM)).astype(np_dtype)
        self.embedding = w.rng.uniform(-1.0, 1.0, (V, E)).astype(np_dtype)
        self.given = random_state(w.rng, kind, B, H, np_dtype) if clone else None
        rows = B * max(beam_width, 1)

        def tile(t):
            return tfa.seq2seq.tile_batch(t, beam_width) if beam_width else t

        self.cell = make_cell(kind, H, tf_dtype, 1.0)
        self.mech = tfa.seq2seq.BahdanauAttention(
            U, memory=tile(tf.constant(self.memory)),
            memory_sequence_length=tile(tf.constant(MEMORY_LENGTHS, tf.int32)),
            normalize=normalize, dtype=tf_dtype)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.cell, self.mech, attention_layer_size=layer_size, alignment_history=True,
            output_attention=True, dtype=tf_dtype)
        self.tile, self.rows, self.tf_dtype = tile, rows, tf_dtype
        self.dense = None
        if output_layer:
            self.dense = tf.keras.layers.Dense(V, use_bias=True, dtype=tf_dtype)
            self.dense.build(tf.TensorShape([None, layer_size or DM]))

    def initial_state(self):
        """A new initial state (its alignment_history TensorArray is new too: in eager mode a
        TensorArray is written in place, so each decode needs its own)."""
        init = self.wrapper.get_initial_state(batch_size=self.rows, dtype=self.tf_dtype)
        if self.given is None:
            return init
        return init.clone(cell_state=self.tile(tf.nest.map_structure(tf.constant, self.given)))

    def assign(self, eos_bias=None, tie=False):
        w = self.w
        cell_weights(w, self.cell, self.kind)
        mechanism_weights(w, self.mech, self.normalize, "mechanism/")
        if self.layer_size:
            w.set(self.wrapper._attention_layers[0].kernel, "attention_layer/kernel", 0.6)
        if self.dense is not None:
            kernel = w.draw(tuple(self.dense.kernel.shape.as_list()), 1.5)
            bias = w.draw((V,), 0.5)
            if eos_bias is not None:
                bias[END_TOKEN] = eos_bias
            if tie:
                kernel[:, TIE[1]] = kernel[:, TIE[0]]
                bias[TIE[1]] = bias[TIE[0]]
            for var, name, value in ((self.dense.kernel, "output_layer/kernel", kernel),
                                     (self.dense.bias, "output_layer/bias", bias)):
                w.assign.append((var, value))
                w.tensors[name] = value
        if tf.executing_eagerly():
            every = self.wrapper.variables + (self.dense.variables if self.dense else [])
        else:
            every = tf.compat.v1.global_variables()
        assert {v.ref() for v, _ in w.assign} == {v.ref() for v in every}, w.assign

    def tensors(self):
        out = dict(self.w.tensors, memory=self.memory,
                   memory_sequence_length=np.array(MEMORY_LENGTHS, np.int32))
        if self.given is not None:
            out.update({"initial_cell_state/" + k: v
                        for k, v in as_dict_state(self.kind, self.given).items()})
        return out

    def meta(self, dt, seed):
        return dict(kind=self.kind, dtype=dt, batch=B, memory_time=TM, memory_depth=DM, vocab=V,
                    embedding_size=E, num_units=H, attention_units=U,
                    attention_layer_size=self.layer_size or 0, normalize=int(self.normalize),
                    output_layer=int(self.dense is not None), clone=int(self.given is not None),
                    forget_bias=1.0, end_token=END_TOKEN, seed=seed)


def wrapper_state_fetch(state):
    return {"cell_state": state.cell_state, "attention": state.attention,
            "alignments": state.alignments, "attention_state": state.attention_state}


def state_fields(kind, fin, history):
    out = state_tensors("expected/final_state/cell_state/", kind, fin["cell_state"])
    for field in ("attention", "alignments", "attention_state"):
        out["expected/final_state/" + field] = fin[field]
    out["expected/final_state/alignment_history"] = history
    return out


def decided(values, mask=None):
    """True when every argmax over the last axis of `values` (where mask) wins by MARGIN."""
    top = -np.sort(-values, axis=-1)
    gap = (top[..., 0] - top[..., 1]) > MARGIN * (1.0 + np.abs(top[..., 0]))
    return bool(np.all(gap if mask is None else gap[mask]))


# ---------------------------------------------------------------------------------------------
# BasicDecoder: TrainingSampler and GreedyEmbeddingSampler


def run_basic(setup, dt, decoder, call_args, call_kwargs, **assign_kw):
    out, final, lengths = decoder(*call_args, initial_state=setup.initial_state(), **call_kwargs)
    history = final.alignment_history.stack()
    setup.assign(**assign_kw)
    with tf.compat.v1.Session() as sess:
        setup.w.run_assign(sess)
        return sess.run([out.rnn_output, out.sample_id, lengths, wrapper_state_fetch(final),
                         history])


def training_case(seed, dt, kind="gru", impute=False, time_major=False, output_layer=True,
                  clone=False, lengths=(4, 0, 6), T=6):
    np_dtype, tf_dtype = DTYPES[dt]
    with tf.Graph().as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, E) if time_major else (B, T, E)).astype(np_dtype)
        setup = Setup(w, kind, dt, clone=clone, output_layer=output_layer,
                      layer_size=LAYER if output_layer else None)
        decoder = tfa.seq2seq.BasicDecoder(
            setup.wrapper, tfa.seq2seq.TrainingSampler(time_major=time_major),
            output_layer=setup.dense, impute_finished=impute, output_time_major=time_major,
            dtype=tf_dtype)
        logits, ids, seq_len, fin, hist = run_basic(
            setup, dt, decoder, (tf.constant(x),),
            dict(sequence_length=tf.constant(lengths, tf.int32)))
    steps = hist.shape[0]
    assert steps == max(lengths) and list(seq_len) == list(lengths), (steps, seq_len)
    bm_logits = np.swapaxes(logits, 0, 1) if time_major else logits
    live = np.arange(steps)[None, :] < np.array(lengths)[:, None]
    ok = decided(bm_logits, live if impute else None)
    if impute:
        assert np.all(bm_logits[~live] == 0)
    tensors = dict(setup.tensors(), inputs=x, sequence_length=np.array(lengths, np.int32))
    tensors.update({"expected/rnn_output": logits, "expected/sample_id": ids,
                    "expected/sequence_lengths": seq_len})
    tensors.update(state_fields(kind, fin, hist))
    meta = dict(setup.meta(dt, seed), sampler="training", max_time=T, maximum_iterations=0,
                impute_finished=int(impute), output_time_major=int(time_major), steps=steps)
    return ok, tensors, meta


def greedy_case(seed, dt, kind="gru", impute=False, clone=False, normalize=False, never_eos=False,
                maximum_iterations=12):
    np_dtype, tf_dtype = DTYPES[dt]
    with tf.Graph().as_default():
        w = Weights(seed, np_dtype)
        setup = Setup(w, kind, dt, clone=clone, normalize=normalize)
        decoder = tfa.seq2seq.BasicDecoder(
            setup.wrapper, tfa.seq2seq.GreedyEmbeddingSampler(), output_layer=setup.dense,
            impute_finished=impute, maximum_iterations=maximum_iterations, dtype=tf_dtype)
        logits, ids, seq_len, fin, hist = run_basic(
            setup, dt, decoder, (tf.constant(setup.embedding),),
            dict(start_tokens=tf.constant(START_TOKENS, tf.int32), end_token=END_TOKEN),
            eos_bias=-100.0 if never_eos else None)
    steps = hist.shape[0]
    live = np.arange(steps)[None, :] < seq_len[:, None]
    ok = decided(logits, live if impute else None)
    if never_eos:
        assert steps == maximum_iterations and np.all(seq_len == steps)
        assert not np.any(ids == END_TOKEN)
    else:
        # Every row finishes by EOS (at its length - 1), at distinct steps, one at step 0.
        first_eos = [list(r).index(END_TOKEN) + 1 if END_TOKEN in r else 0 for r in ids]
        ok = ok and first_eos == list(seq_len) and 1 in first_eos
        ok = ok and len(set(first_eos)) == B and steps < maximum_iterations
    tensors = dict(setup.tensors(), embedding=setup.embedding,
                   start_tokens=np.array(START_TOKENS, np.int32))
    tensors.update({"expected/rnn_output": logits, "expected/sample_id": ids,
                    "expected/sequence_lengths": seq_len})
    tensors.update(state_fields(kind, fin, hist))
    meta = dict(setup.meta(dt, seed), sampler="greedy", maximum_iterations=maximum_iterations,
                impute_finished=int(impute), output_time_major=0, steps=steps)
    return ok, tensors, meta


# ---------------------------------------------------------------------------------------------
# BeamSearchDecoder


def beam_case(seed, dt, kind="gru", beam_width=3, length_penalty=0.0, coverage_penalty=0.0,
              normalize=False, clone=False, ties=False, never_eos=False, maximum_iterations=8,
              want_finishing=True):
    """Runs eagerly (see the module docstring): a first decode builds every variable, the weights
    are assigned, the memory is set up again (its keys depend on the memory layer's kernel), then
    the decode is run with output_all_scores False and True."""
    np_dtype, tf_dtype = DTYPES[dt]
    K = beam_width
    w = Weights(seed, np_dtype)
    setup = Setup(w, kind, dt, clone=clone, normalize=normalize, beam_width=K)

    def decode(all_scores):
        decoder = tfa.seq2seq.BeamSearchDecoder(
            setup.wrapper, K, output_layer=setup.dense, length_penalty_weight=length_penalty,
            coverage_penalty_weight=coverage_penalty, output_all_scores=all_scores,
            maximum_iterations=maximum_iterations, dtype=tf_dtype)
        return decoder(tf.constant(setup.embedding), start_tokens=tf.constant(START_TOKENS),
                       end_token=END_TOKEN, initial_state=setup.initial_state())

    decode(False)
    setup.assign(eos_bias=-100.0 if never_eos else None, tie=ties)
    for var, value in w.assign:
        var.assign(value)
    setup.mech.setup_memory(tfa.seq2seq.tile_batch(tf.constant(setup.memory), K),
                            tfa.seq2seq.tile_batch(tf.constant(MEMORY_LENGTHS), K))
    out, final, seq_len = decode(False)
    out_all = decode(True)[0]
    raw = out.beam_search_decoder_output
    r = tf.nest.map_structure(lambda t: t.numpy(), dict(
        predicted_ids=out.predicted_ids, scores=raw.scores, raw_ids=raw.predicted_ids,
        parent_ids=raw.parent_ids, all_scores=out_all.beam_search_decoder_output.scores,
        all_ids=out_all.predicted_ids, log_probs=final.log_probs, finished=final.finished,
        lengths=final.lengths, seq_len=seq_len, cell=wrapper_state_fetch(final.cell_state),
        history=final.cell_state.alignment_history, acc=final.accumulated_attention_probs))
    steps = r["scores"].shape[1]
    assert np.array_equal(r["all_ids"], r["predicted_ids"])
    assert r["history"].shape == (steps, B * K, TM), r["history"].shape
    # Margins between the sorted top K + 1 candidates (exact ties allowed only in the ties case;
    # dtype.min / -inf candidates of finished beams are never among the top K).
    flat = -np.sort(-r["all_scores"].reshape(B, steps, K * V), axis=-1)[..., :K + 1]
    assert np.all(flat[..., :K] > -1e30)
    a, b = flat[..., :-1], flat[..., 1:]
    tie = (a == b) & (b > -1e30)
    ok = bool(np.all(tie | (a - b > MARGIN * (1.0 + np.abs(a))) | (b < -1e30)))
    ok = ok and (bool(np.any(tie)) if ties else not np.any(tie))
    lengths, finished = r["lengths"], r["finished"]
    if never_eos:
        assert steps == maximum_iterations and np.all(lengths == steps) and not finished.any()
    elif want_finishing:
        # Some beam ended before the last step, and some example's beams have different lengths.
        early = finished & (lengths < steps)
        ok = ok and bool(early.any()) and any(len(set(row)) > 1 for row in lengths)
    tensors = dict(setup.tensors(), embedding=setup.embedding,
                   start_tokens=np.array(START_TOKENS, np.int32))
    tensors.update({
        "expected/predicted_ids": r["predicted_ids"], "expected/beam/scores": r["scores"],
        "expected/beam/predicted_ids": r["raw_ids"], "expected/beam/parent_ids": r["parent_ids"],
        "expected/all_scores": r["all_scores"], "expected/final_state/log_probs": r["log_probs"],
        "expected/final_state/finished": finished.astype(np.int32),
        "expected/final_state/lengths": lengths, "expected/sequence_lengths": r["seq_len"]})
    if coverage_penalty:
        tensors["expected/final_state/accumulated_attention_probs"] = r["acc"]
    tensors.update(state_fields(kind, r["cell"], r["history"]))
    meta = dict(setup.meta(dt, seed), sampler="beam", beam_width=K,
                length_penalty_weight=length_penalty, coverage_penalty_weight=coverage_penalty,
                maximum_iterations=maximum_iterations, impute_finished=0, output_time_major=0,
                steps=steps, mode="eager")
    return ok, tensors, meta


def search(name, base_seed, case, **kw):
    """Runs case(seed, ...) from base_seed on until its conditions hold, then saves it."""
    for seed in range(base_seed, base_seed + MAX_TRIES):
        ok, tensors, meta = case(seed, **kw)
        if ok:
            save(name, tensors, dict(meta, case=name))
            return seed
    raise AssertionError(f"{name}: no seed in [{base_seed}, {base_seed + MAX_TRIES}) qualifies")


# ---------------------------------------------------------------------------------------------
# gather_tree and tile_batch


def gen_gather_tree():
    """[T = 6, B = 6, K = 3] ids, end_token 2. Per example b: 0 max length 6 = T (plain
    backtracking), 1 length 4 < T, 2 length 0, 3 length 9 > T (clipped to T), 4 an EOS in the middle
    of a path (the rest of that beam becomes end_token), 5 an EOS at step 0 in one beam and a
    non-EOS id after an EOS on another path."""
    T, Bg, K, end = 6, 6, 3, 2
    rng = np.random.default_rng(7100)
    step_ids = rng.choice([0, 1, 3, 4, 5, 6], size=(T, Bg, K)).astype(np.int32)
    parent_ids = rng.integers(0, K, size=(T, Bg, K)).astype(np.int32)
    lengths = np.array([6, 4, 0, 9, 6, 5], np.int32)
    step_ids[2, 4, 1] = end          # example 4: EOS at step 2 of beam 1
    parent_ids[3, 4, :] = 1          # every beam at step 3 descends from beam 1
    step_ids[0, 5, 0] = end          # example 5: EOS at step 0 of beam 0 ...
    parent_ids[1:, 5, 0] = 0         # ... and beam 0's path stays on beam 0 after it
    step_ids[1, 5, 2], parent_ids[2, 5, 2] = end, 2   # beam 2: EOS at step 1, then ids continue
    parent_ids[3:, 5, 2] = 2
    # Out-of-range parents beyond a length are masked by TFA (never read): example 1, t >= 4.
    parent_ids[4:, 1, :] = 7
    out = tfa.seq2seq.gather_tree(step_ids, parent_ids, lengths, end).numpy()
    assert np.all(out[2:, 5, 0] == end) and np.all(out[:, 2, :] == end)
    assert np.all(out[4:, 1, :] == end)
    save("gather_tree_int32", {"step_ids": step_ids, "parent_ids": parent_ids,
                               "max_sequence_lengths": lengths, "expected/beams": out},
         dict(max_time=T, batch=Bg, beam_width=K, end_token=end, mode="eager"))


def gen_tile_batch():
    Bt, T, D, K = 3, 2, 4, 3
    rng = np.random.default_rng(7200)
    t = rng.uniform(-1.0, 1.0, (Bt, T, D)).astype(np.float32)
    lengths = np.array([2, 0, 1], np.int32)
    with tf.Graph().as_default():
        tiled = tfa.seq2seq.tile_batch((tf.constant(t), tf.constant(lengths)), K)
        with tf.compat.v1.Session() as sess:
            tiled_t, tiled_len = sess.run(tiled)
    assert np.array_equal(tiled_t, np.repeat(t, K, axis=0))
    save("decode_tile_batch", {"t": t, "lengths": lengths, "expected/t": tiled_t,
                               "expected/lengths": tiled_len}, dict(batch=Bt, multiplier=K))


def generate():
    """The graph-mode cases here, then the eager ones (beam search, gather_tree) in a child
    process (eager execution cannot be turned back on in this one)."""
    level = tf.get_logger().level
    tf.get_logger().setLevel("CRITICAL")  # TFA's unused maximum_iterations Assert op is logged
    try:
        generate_graph()
    finally:
        tf.get_logger().setLevel(level)
    subprocess.run([sys.executable, os.path.abspath(__file__)], check=True)


def generate_graph():
    base = 7000
    for i, dt in enumerate(("f32", "f64")):
        seed = base + 1000 * i
        for impute in (False, True):
            for tm in (False, True):
                name = "decode_training_gru{}{}_{}".format(
                    "_impute" if impute else "", "_time_major" if tm else "", dt)
                search(name, seed, training_case, dt=dt, impute=impute, time_major=tm)
        search(f"decode_training_lstm_nooutput_clone_{dt}", seed + 10, training_case, dt=dt,
               kind="lstm", output_layer=False, clone=True, lengths=(2, 6, 0))
        s = search(f"decode_greedy_gru_eos_{dt}", seed + 20, greedy_case, dt=dt)
        search(f"decode_greedy_gru_eos_impute_{dt}", s, greedy_case, dt=dt, impute=True)
        search(f"decode_greedy_gru_noeos_{dt}", seed + 30, greedy_case, dt=dt, never_eos=True,
               maximum_iterations=7)
        search(f"decode_greedy_lstm_clone_impute_{dt}", seed + 40, greedy_case, dt=dt,
               kind="lstm", impute=True, clone=True, normalize=True)
    gen_tile_batch()


def generate_eager():
    tf.get_logger().setLevel("CRITICAL")
    for i, dt in enumerate(("f32", "f64")):
        seed = 7500 + 1000 * i
        search(f"decode_beam_k3_gru_lp0_{dt}", seed, beam_case, dt=dt)
        search(f"decode_beam_k3_gru_lp06_{dt}", seed + 40, beam_case, dt=dt,
               length_penalty=0.6, normalize=True)
        search(f"decode_beam_k3_lstm_lp1_clone_{dt}", seed + 80, beam_case, dt=dt, kind="lstm",
               length_penalty=1.0, clone=True)
        if dt == "f64":
            continue  # TFA's coverage penalty multiplies by float32 tensors: float64 fails
        search(f"decode_beam_k3_gru_cov04_{dt}", seed + 120, beam_case, dt=dt,
               length_penalty=0.6, coverage_penalty=0.4, normalize=True)
        search(f"decode_beam_k1_gru_{dt}", seed + 160, beam_case, dt=dt, beam_width=1,
               want_finishing=False)
        search(f"decode_beam_k3_gru_ties_{dt}", seed + 200, beam_case, dt=dt, ties=True,
               want_finishing=False)
        search(f"decode_beam_k3_gru_noeos_{dt}", seed + 240, beam_case, dt=dt, never_eos=True)
    gen_gather_tree()


if __name__ == "__main__":
    # Run by generate(): golden_common turned eager execution off at import, before any graph was
    # built, so it can still be turned back on here.
    tf.compat.v1.enable_eager_execution()
    generate_eager()
