"""Golden fixtures for BasicRNNCell, MultiRNNCell and bidirectional_dynamic_rnn (spec §1.1, §2.6,
§2.7), written by tf.compat.v1 in graph mode, float32 and float64:

  basic_rnn_step_<dt>              one BasicRNNCell call, cell(inputs, state)
  basic_rnn_lengths_<dt>           BasicRNNCell under dynamic_rnn, ragged lengths (0, 1, full),
                                   a given initial state
  basic_rnn_time_major_<dt>        time-major, early stop (max length < T), zero initial state
  multi_rnn_step_<dt>              one MultiRNNCell([LSTM(5), GRU(3)]) call
  multi_rnn_lstm_gru_<dt>          MultiRNNCell([LSTM(5), GRU(3)]) under dynamic_rnn, ragged
                                   lengths, a given initial state for every layer
  multi_rnn_gru_lstm_lstm_<dt>     MultiRNNCell([GRU(4), LSTM(3), LSTM(5)]), time-major, early stop,
                                   a given initial state
  multi_rnn_attention_<dt>         tfa AttentionWrapper(MultiRNNCell([LSTM(6), LSTM(4)]),
                                   BahdanauAttention), attention_layer_size 5, ragged lengths
  multi_rnn_attention_clone_<dt>   the same wrapper, normalized, no attention layer, cell output,
                                   time-major, early stop, initial state made by clone(cell_state)
  bidirectional_lengths_<dt>       bidirectional_dynamic_rnn(GRU(4) fw, LSTM(3) bw), lengths
                                   (full, 1, 4, 0, 2), given initial states
  bidirectional_time_major_<dt>    time-major, early stop (max length 4 < T = 6), zero states
  bidirectional_nolengths_<dt>     no sequence_length (a full reverse of the time axis)

Fixture layout:
  inputs, outputs (outputs_fw, outputs_bw), sequence_length
  cell/...                                        a bare cell's weights (BasicRNNCell: kernel,
                                                  bias; GRU/LSTM: as gen_golden)
  cell_<k>/...                                    MultiRNNCell layer k's weights
  fw/..., bw/...                                  the bidirectional cells' weights
  initial_state/cell_<k>/{h | c, h}, final_state/cell_<k>/...   per-layer states (state/ and
                                                  next_state/ for one step; fw/ and bw/ for the
                                                  bidirectional states)
  wrapper cases: memory, memory_sequence_length, memory_layer/kernel, query_layer/kernel,
  attention_v (attention_g, attention_b), attention_layer/kernel,
  final_state/cell_state/cell_<k>/..., final_state/{attention, alignments, attention_state,
  alignment_history}, initial_cell_state/cell_<k>/... (clone)
metadata: layers ("lstm,gru": kinds per layer), units ("5,3": widths per layer), the sizes,
forget_bias, time_major, and for wrappers the TF 1.x `time` (history entries TFA wrote).
"""
import numpy as np

from golden_common import (DTYPES, Weights, as_dict_state, bahdanau_weights, cell_weights,
                           make_cell, random_state, save, state_tensors, tf, tfa)


def basic_weights(w, cell, prefix):
    w.set(cell._kernel, prefix + "kernel", 0.6)
    w.set(cell._bias, prefix + "bias", 0.5)


def weights(w, cell, kind, prefix):
    if kind == "basic":
        basic_weights(w, cell, prefix)
    else:
        cell_weights(w, cell, kind, prefix)


def new_cell(kind, units, tf_dtype):
    if kind == "basic":
        return tf.compat.v1.nn.rnn_cell.BasicRNNCell(units, dtype=tf_dtype)
    return make_cell(kind, units, tf_dtype, 1.0)


def new_state(rng, kind, batch, units, np_dtype):
    return random_state(rng, "gru" if kind == "basic" else kind, batch, units, np_dtype)


def flat(prefix, kind, value):
    """Named tensors of one layer's state (numpy or fetched): h, or c and h."""
    return state_tensors(prefix, "gru" if kind == "basic" else kind, value)


def layers_flat(prefix, kinds, values):
    out = {}
    for k, (kind, value) in enumerate(zip(kinds, values)):
        out.update(flat(f"{prefix}cell_{k}/", kind, value))
    return out


def to_tf(state):
    return tf.nest.map_structure(tf.constant, state)


def stack_meta(kinds, units):
    return dict(layers=",".join(kinds), units=",".join(str(u) for u in units),
                num_layers=len(kinds), forget_bias=1.0)


# ---------------------------------------------------------------------------------------------
# BasicRNNCell


def gen_basic_step(dt, seed):
    np_dtype, tf_dtype = DTYPES[dt]
    B, I, H = 4, 5, 3
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-2.0, 2.0, (B, I)).astype(np_dtype)
        x[0, :] = [9.5, -9.5, 12.0, -0.0003, 0.0002]  # saturating and tiny inputs
        state = new_state(w.rng, "basic", B, H, np_dtype)
        cell = new_cell("basic", H, tf_dtype)
        out, nxt = cell(tf.constant(x), tf.constant(state))
        basic_weights(w, cell, "cell/")
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, nxt_v = sess.run([out, nxt])
    tensors = dict(w.tensors, inputs=x, output=out_v)
    tensors["state/h"] = state
    tensors["next_state/h"] = nxt_v
    save(f"basic_rnn_step_{dt}", tensors, dict(dtype=dt, batch=B, input_depth=I, num_units=H))


def gen_basic_rnn(variant, dt, seed):
    np_dtype, tf_dtype = DTYPES[dt]
    B, T, I, H = 4, 6, 3, 5
    time_major = variant == "time_major"
    lengths = [4, 1, 3, 2] if time_major else [6, 1, 3, 0]
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        init = None if time_major else new_state(w.rng, "basic", B, H, np_dtype)
        cell = new_cell("basic", H, tf_dtype)
        out, final = tf.compat.v1.nn.dynamic_rnn(
            cell, tf.constant(x), sequence_length=tf.constant(lengths, tf.int32),
            initial_state=None if init is None else tf.constant(init), dtype=tf_dtype,
            time_major=time_major)
        basic_weights(w, cell, "cell/")
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, final_v = sess.run([out, final])
    tensors = dict(w.tensors, inputs=x, outputs=out_v, sequence_length=np.array(lengths, np.int64))
    tensors["final_state/h"] = final_v
    if init is not None:
        tensors["initial_state/h"] = init
    meta = dict(dtype=dt, batch=B, max_time=T, input_depth=I, num_units=H,
                time_major=int(time_major))
    save(f"basic_rnn_{variant}_{dt}", tensors, meta)


# ---------------------------------------------------------------------------------------------
# MultiRNNCell


def gen_multi_step(dt, seed, kinds=("lstm", "gru"), units=(5, 3)):
    np_dtype, tf_dtype = DTYPES[dt]
    B, I = 4, 3
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-2.0, 2.0, (B, I)).astype(np_dtype)
        state = tuple(new_state(w.rng, k, B, u, np_dtype) for k, u in zip(kinds, units))
        cells = [new_cell(k, u, tf_dtype) for k, u in zip(kinds, units)]
        multi = tf.compat.v1.nn.rnn_cell.MultiRNNCell(cells)
        out, nxt = multi(tf.constant(x), to_tf(state))
        for k, (kind, cell) in enumerate(zip(kinds, cells)):
            weights(w, cell, kind, f"cell_{k}/")
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, nxt_v = sess.run([out, nxt])
    tensors = dict(w.tensors, inputs=x, output=out_v)
    tensors.update(layers_flat("state/", kinds, state))
    tensors.update(layers_flat("next_state/", kinds, nxt_v))
    save(f"multi_rnn_step_{dt}", tensors,
         dict(stack_meta(kinds, units), dtype=dt, batch=B, input_depth=I))


def gen_multi_rnn(name, kinds, units, dt, seed, lengths, time_major=False, B=4, T=6, I=3):
    np_dtype, tf_dtype = DTYPES[dt]
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        init = tuple(new_state(w.rng, k, B, u, np_dtype) for k, u in zip(kinds, units))
        cells = [new_cell(k, u, tf_dtype) for k, u in zip(kinds, units)]
        multi = tf.compat.v1.nn.rnn_cell.MultiRNNCell(cells)
        out, final = tf.compat.v1.nn.dynamic_rnn(
            multi, tf.constant(x), sequence_length=tf.constant(lengths, tf.int32),
            initial_state=to_tf(init), dtype=tf_dtype, time_major=time_major)
        for k, (kind, cell) in enumerate(zip(kinds, cells)):
            weights(w, cell, kind, f"cell_{k}/")
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, final_v = sess.run([out, final])
    tensors = dict(w.tensors, inputs=x, outputs=out_v, sequence_length=np.array(lengths, np.int64))
    tensors.update(layers_flat("initial_state/", kinds, init))
    tensors.update(layers_flat("final_state/", kinds, final_v))
    meta = dict(stack_meta(kinds, units), dtype=dt, batch=B, max_time=T, input_depth=I,
                time_major=int(time_major))
    save(name, tensors, meta)


def gen_multi_attention(name, dt, seed, normalize, attention_layer_size, output_attention,
                        lengths, memory_lengths, time_major=False, clone=False,
                        kinds=("lstm", "lstm"), units=(6, 4), B=3, T=5, I=3, U=4, Tm=4, Dm=7):
    np_dtype, tf_dtype = DTYPES[dt]
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        memory = w.rng.uniform(-1.0, 1.0, (B, Tm, Dm)).astype(np_dtype)
        cells = [new_cell(k, u, tf_dtype) for k, u in zip(kinds, units)]
        multi = tf.compat.v1.nn.rnn_cell.MultiRNNCell(cells)
        mech = tfa.seq2seq.BahdanauAttention(
            U, memory=tf.constant(memory),
            memory_sequence_length=tf.constant(list(memory_lengths), tf.int32),
            normalize=normalize, dtype=tf_dtype)
        wrapper = tfa.seq2seq.AttentionWrapper(
            multi, mech, attention_layer_size=attention_layer_size, alignment_history=True,
            output_attention=output_attention, dtype=tf_dtype)
        init = wrapper.get_initial_state(batch_size=B, dtype=tf_dtype)
        clone_state = None
        if clone:
            clone_state = tuple(new_state(w.rng, k, B, u, np_dtype) for k, u in zip(kinds, units))
            init = init.clone(cell_state=to_tf(clone_state))
        out, final = tf.compat.v1.nn.dynamic_rnn(
            wrapper, tf.constant(x), sequence_length=tf.constant(list(lengths), tf.int32),
            initial_state=init, dtype=tf_dtype, time_major=time_major)
        history = final.alignment_history.stack()
        for k, (kind, cell) in enumerate(zip(kinds, cells)):
            weights(w, cell, kind, f"cell_{k}/")
        bahdanau_weights(w, mech, normalize)
        if attention_layer_size is not None:
            w.set(wrapper._attention_layers[0].kernel, "attention_layer/kernel", 0.6)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            fetch = {"cell_state": final.cell_state, "attention": final.attention,
                     "alignments": final.alignments, "attention_state": final.attention_state}
            out_v, fin, hist = sess.run([out, fetch, history])
    tensors = dict(w.tensors, inputs=x, outputs=out_v, memory=memory,
                   sequence_length=np.array(lengths, np.int64),
                   memory_sequence_length=np.array(memory_lengths, np.int64))
    tensors.update(layers_flat("final_state/cell_state/", kinds, fin["cell_state"]))
    for field in ("attention", "alignments", "attention_state"):
        tensors["final_state/" + field] = fin[field]
    tensors["final_state/alignment_history"] = hist
    if clone_state is not None:
        tensors.update(layers_flat("initial_cell_state/", kinds, clone_state))
    # TFA's state has no `time`: TF 1.x's time is the number of history entries (one per step).
    meta = dict(stack_meta(kinds, units), dtype=dt, batch=B, max_time=T, input_depth=I,
                attention_units=U, memory_time=Tm, memory_depth=Dm, normalize=int(normalize),
                attention_layer_size=attention_layer_size or 0,
                output_attention=int(output_attention), alignment_history=1,
                time_major=int(time_major), time=hist.shape[0])
    save(name, tensors, meta)


# ---------------------------------------------------------------------------------------------
# bidirectional_dynamic_rnn(GRU fw, LSTM bw)


def gen_bidirectional(variant, dt, seed, B=5, T=6, I=3, H_fw=4, H_bw=3):
    np_dtype, tf_dtype = DTYPES[dt]
    time_major = variant == "time_major"
    lengths = {"lengths": [6, 1, 4, 0, 2], "time_major": [4, 1, 3, 2, 4],
               "nolengths": None}[variant]
    with_initial = variant == "lengths"
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        init_fw = random_state(w.rng, "gru", B, H_fw, np_dtype) if with_initial else None
        init_bw = random_state(w.rng, "lstm", B, H_bw, np_dtype) if with_initial else None
        cell_fw = make_cell("gru", H_fw, tf_dtype, 1.0)
        cell_bw = make_cell("lstm", H_bw, tf_dtype, 1.0)
        (out_fw, out_bw), (fin_fw, fin_bw) = tf.compat.v1.nn.bidirectional_dynamic_rnn(
            cell_fw, cell_bw, tf.constant(x),
            sequence_length=None if lengths is None else tf.constant(lengths, tf.int32),
            initial_state_fw=None if init_fw is None else to_tf(init_fw),
            initial_state_bw=None if init_bw is None else to_tf(init_bw),
            dtype=tf_dtype, time_major=time_major)
        cell_weights(w, cell_fw, "gru", "fw/")
        cell_weights(w, cell_bw, "lstm", "bw/")
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            ofw, obw, ffw, fbw = sess.run([out_fw, out_bw, fin_fw, fin_bw])
    tensors = dict(w.tensors, inputs=x, outputs_fw=ofw, outputs_bw=obw)
    tensors.update(state_tensors("final_state/fw/", "gru", ffw))
    tensors.update(state_tensors("final_state/bw/", "lstm", fbw))
    if lengths is not None:
        tensors["sequence_length"] = np.array(lengths, np.int64)
    if with_initial:
        tensors.update({"initial_state/fw/" + k: v
                        for k, v in as_dict_state("gru", init_fw).items()})
        tensors.update({"initial_state/bw/" + k: v
                        for k, v in as_dict_state("lstm", init_bw).items()})
    meta = dict(cell_fw="gru", cell_bw="lstm", num_units_fw=H_fw, num_units_bw=H_bw, dtype=dt,
                batch=B, max_time=T, input_depth=I, time_major=int(time_major), forget_bias=1.0)
    save(f"bidirectional_{variant}_{dt}", tensors, meta)


def generate():
    seed = 7000
    for dt in ("f32", "f64"):
        seed += 1
        gen_basic_step(dt, seed)
        for variant in ("lengths", "time_major"):
            seed += 1
            gen_basic_rnn(variant, dt, seed)
        seed += 1
        gen_multi_step(dt, seed)
        seed += 1
        gen_multi_rnn(f"multi_rnn_lstm_gru_{dt}", ("lstm", "gru"), (5, 3), dt, seed,
                      lengths=[6, 2, 4, 0])
        seed += 1
        gen_multi_rnn(f"multi_rnn_gru_lstm_lstm_{dt}", ("gru", "lstm", "lstm"), (4, 3, 5), dt,
                      seed, lengths=[3, 1, 5, 2], time_major=True)
        seed += 1
        gen_multi_attention(f"multi_rnn_attention_{dt}", dt, seed, normalize=False,
                            attention_layer_size=5, output_attention=True, lengths=(5, 1, 3),
                            memory_lengths=(4, 2, 1))
        seed += 1
        gen_multi_attention(f"multi_rnn_attention_clone_{dt}", dt, seed, normalize=True,
                            attention_layer_size=None, output_attention=False,
                            lengths=(3, 2, 3), memory_lengths=(3, 4, 2), time_major=True,
                            clone=True)
        for variant in ("lengths", "time_major", "nolengths"):
            seed += 1
            gen_bidirectional(variant, dt, seed)
