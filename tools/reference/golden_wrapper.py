"""Golden fixtures tests/golden/wrapper_*.safetensors: tfa.seq2seq.AttentionWrapper with the rest
of its constructor (spec §4): several mechanisms (TF's "multi" mode, also a list of one),
attention_layer_size per mechanism, a user attention_layer, a user cell_input_fn and
initial_cell_state, under tf.compat.v1.nn.dynamic_rnn in graph mode, alignment_history on, ragged
input and memory lengths, float32 and float64.

Fixture layout (mechanism i = 0, 1, ...):
  inputs, outputs, sequence_length, cell/...                       as gen_golden.gen_wrapper
  mechanism<i>/memory, mechanism<i>/memory_sequence_length,
  mechanism<i>/memory_layer/kernel, query_layer/kernel, attention_v (attention_g, attention_b)
  attention_layer<i>/kernel                     attention_layer_size's Dense, or the user layer's
  initial_cell_state/{h | c, h}                 the ctor's initial_cell_state, or clone's state
  final_state/cell_state/..., final_state/attention,
  final_state/alignments/<i>, final_state/attention_state/<i>, final_state/alignment_history/<i>
metadata: multi (0: a bare mechanism, 1: a list), num_mechanisms, attention_units<i>,
normalize<i>, layer ("none" | "size" | "tanh_dense"), attention_layer_size<i> (the layer width),
cell_input_fn ("default" | "attention_twice_inputs" | "attention_twice_inputs_squares"),
initial_cell_state (0/1: given to the ctor), clone (0/1), time (history entries TFA wrote;
TFA's state has no `time`), and the sizes.

The user layer is tf.keras.layers.Dense(size, activation="tanh", use_bias=False): Luong's
tanh(W_c [h ; c]). The user cell_input_fn variants:
  attention_twice_inputs          concat([attention, 2 * inputs])
  attention_twice_inputs_squares  concat([attention, 2 * inputs, inputs * inputs])  (wider)
"""
import numpy as np

from golden_common import (DTYPES, Weights, as_dict_state, cell_weights, make_cell, random_state,
                           save, state_tensors, tf, tfa)

CELL_INPUT_FNS = {
    "attention_twice_inputs": lambda x, a: tf.concat([a, x * 2.0], -1),
    "attention_twice_inputs_squares": lambda x, a: tf.concat([a, x * 2.0, x * x], -1),
}

# Two mechanisms of different units, one normalized, over different memories (same batch).
TWO = [dict(units=4, normalize=False, Tm=4, Dm=7, lengths=(4, 2, 1)),
       dict(units=3, normalize=True, Tm=6, Dm=5, lengths=(3, 6, 2))]
ONE = [dict(units=4, normalize=True, Tm=5, Dm=3, lengths=(5, 1, 3))]


def mechanism_weights(w, mech, normalize, prefix):
    w.set(mech.memory_layer.kernel, prefix + "memory_layer/kernel", 0.6)
    w.set(mech.query_layer.kernel, prefix + "query_layer/kernel", 0.6)
    w.set(mech.attention_v, prefix + "attention_v", 0.8)
    if normalize:
        g = np.asarray(w.rng.uniform(0.5, 1.5), dtype=w.np_dtype)
        w.assign.append((mech.attention_g, g))
        w.tensors[prefix + "attention_g"] = g
        w.set(mech.attention_b, prefix + "attention_b", 0.4)


def gen_case(name, kind, dt, seed, mechs, multi=True, layer="none", layer_sizes=None,
             output_attention=True, cell_input_fn="default", initial_cell_state=False,
             clone=False, time_major=False, lengths=(5, 1, 3), B=3, T=5, I=3, H=6):
    np_dtype, tf_dtype = DTYPES[dt]
    assert multi or len(mechs) == 1
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (T, B, I) if time_major else (B, T, I)).astype(np_dtype)
        memories = [w.rng.uniform(-1.0, 1.0, (B, m["Tm"], m["Dm"])).astype(np_dtype)
                    for m in mechs]
        given_state = (random_state(w.rng, kind, B, H, np_dtype)
                       if initial_cell_state or clone else None)
        cell = make_cell(kind, H, tf_dtype, 1.0)
        tf_mechs = [tfa.seq2seq.BahdanauAttention(
            m["units"], memory=tf.constant(mem),
            memory_sequence_length=tf.constant(list(m["lengths"]), tf.int32),
            normalize=m["normalize"], dtype=tf_dtype) for m, mem in zip(mechs, memories)]
        kwargs = {}
        if layer == "size":
            kwargs["attention_layer_size"] = list(layer_sizes) if multi else layer_sizes[0]
        elif layer == "tanh_dense":
            layers = [tf.keras.layers.Dense(n, activation="tanh", use_bias=False, dtype=tf_dtype)
                      for n in layer_sizes]
            kwargs["attention_layer"] = layers if multi else layers[0]
        if cell_input_fn != "default":
            kwargs["cell_input_fn"] = CELL_INPUT_FNS[cell_input_fn]
        if initial_cell_state:
            kwargs["initial_cell_state"] = tf.nest.map_structure(tf.constant, given_state)
        wrapper = tfa.seq2seq.AttentionWrapper(
            cell, tf_mechs if multi else tf_mechs[0], alignment_history=True,
            output_attention=output_attention, dtype=tf_dtype, **kwargs)
        init = None
        if clone:
            init = wrapper.get_initial_state(batch_size=B, dtype=tf_dtype)
            init = init.clone(cell_state=tf.nest.map_structure(tf.constant, given_state))
        # Without clone, dynamic_rnn asks the wrapper for its initial state (get_initial_state),
        # which is where initial_cell_state is used.
        out, final = tf.compat.v1.nn.dynamic_rnn(
            wrapper, tf.constant(x), sequence_length=tf.constant(list(lengths), tf.int32),
            initial_state=init, dtype=tf_dtype, time_major=time_major)

        def per_mech(field):
            return list(field) if multi else [field]

        histories = [h.stack() for h in per_mech(final.alignment_history)]
        cell_weights(w, cell, kind)
        for i, (m, tm) in enumerate(zip(mechs, tf_mechs)):
            mechanism_weights(w, tm, m["normalize"], f"mechanism{i}/")
        if layer != "none":
            for i, lay in enumerate(wrapper._attention_layers):
                w.set(lay.kernel, f"attention_layer{i}/kernel", 0.6)
        # Every variable of the graph is assigned explicitly (no initialiser value is used).
        assigned = {v.name for v, _ in w.assign}
        assert assigned == {v.name for v in tf.compat.v1.global_variables()}, assigned
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            fetch = {"cell_state": final.cell_state, "attention": final.attention,
                     "alignments": per_mech(final.alignments),
                     "attention_state": per_mech(final.attention_state)}
            out_v, fin, hist = sess.run([out, fetch, histories])
    tensors = dict(w.tensors, inputs=x, outputs=out_v,
                   sequence_length=np.array(lengths, np.int64))
    tensors.update(state_tensors("final_state/cell_state/", kind, fin["cell_state"]))
    tensors["final_state/attention"] = fin["attention"]
    steps = {h.shape[0] for h in hist}
    assert len(steps) == 1, steps
    for i, m in enumerate(mechs):
        tensors[f"mechanism{i}/memory"] = memories[i]
        tensors[f"mechanism{i}/memory_sequence_length"] = np.array(m["lengths"], np.int64)
        tensors[f"final_state/alignments/{i}"] = fin["alignments"][i]
        tensors[f"final_state/attention_state/{i}"] = fin["attention_state"][i]
        tensors[f"final_state/alignment_history/{i}"] = hist[i]
    if given_state is not None:
        tensors.update({"initial_cell_state/" + k: v
                        for k, v in as_dict_state(kind, given_state).items()})
    meta = dict(cell=kind, dtype=dt, batch=B, max_time=T, input_depth=I, num_units=H,
                multi=int(multi), num_mechanisms=len(mechs), layer=layer,
                cell_input_fn=cell_input_fn, output_attention=int(output_attention),
                alignment_history=1, initial_cell_state=int(initial_cell_state),
                clone=int(clone), time_major=int(time_major), forget_bias=1.0,
                time=steps.pop())
    for i, m in enumerate(mechs):
        meta[f"attention_units{i}"] = m["units"]
        meta[f"normalize{i}"] = int(m["normalize"])
        meta[f"memory_time{i}"] = m["Tm"]
        meta[f"memory_depth{i}"] = m["Dm"]
        meta[f"attention_layer_size{i}"] = layer_sizes[i] if layer != "none" else 0
    save(name, tensors, meta)


def generate():
    seed = 4000
    for dt in ("f32", "f64"):
        # Two mechanisms: attention_layer_size [5, 3] and none, GRU and LSTM, output_attention
        # both ways.
        for kind in ("gru", "lstm"):
            for layer_sizes in ((5, 3), None):
                for oa in (True, False):
                    seed += 1
                    name = "wrapper_multi2_{}_{}_{}_{}".format(
                        kind, "layer53" if layer_sizes else "nolayer",
                        "outattn" if oa else "outcell", dt)
                    gen_case(name, kind, dt, seed, TWO, layer="size" if layer_sizes else "none",
                             layer_sizes=layer_sizes, output_attention=oa)
        # A list of one mechanism (multi mode with one entry).
        seed += 1
        gen_case(f"wrapper_multi1_gru_layer5_{dt}", "gru", dt, seed, ONE, layer="size",
                 layer_sizes=(5,))
        seed += 1
        gen_case(f"wrapper_multi1_lstm_nolayer_outcell_{dt}", "lstm", dt, seed, ONE,
                 output_attention=False)
        # User attention layers: Dense(size, tanh, no bias), one mechanism and two.
        seed += 1
        gen_case(f"wrapper_single_lstm_tanh_layer_{dt}", "lstm", dt, seed, ONE, multi=False,
                 layer="tanh_dense", layer_sizes=(4,))
        seed += 1
        gen_case(f"wrapper_multi2_gru_tanh_layers_outcell_{dt}", "gru", dt, seed, TWO,
                 layer="tanh_dense", layer_sizes=(4, 2), output_attention=False)
        # User cell_input_fn: same width, and wider than concat (input_size is then explicit).
        seed += 1
        gen_case(f"wrapper_single_gru_cell_input_fn_{dt}", "gru", dt, seed, ONE, multi=False,
                 layer="size", layer_sizes=(5,), cell_input_fn="attention_twice_inputs")
        seed += 1
        gen_case(f"wrapper_multi2_lstm_cell_input_fn_{dt}", "lstm", dt, seed, TWO,
                 layer="size", layer_sizes=(5, 3), cell_input_fn="attention_twice_inputs_squares")
        # initial_cell_state given to the ctor (non-zero LSTM state), used by get_initial_state.
        seed += 1
        gen_case(f"wrapper_single_lstm_initial_cell_state_{dt}", "lstm", dt, seed, ONE,
                 multi=False, initial_cell_state=True, output_attention=False)
        seed += 1
        gen_case(f"wrapper_multi2_lstm_initial_cell_state_{dt}", "lstm", dt, seed, TWO,
                 layer="size", layer_sizes=(5, 3), initial_cell_state=True)
        # clone(cell_state=...) of a multi state, time-major inputs, early stop (max length 3).
        seed += 1
        gen_case(f"wrapper_multi2_gru_clone_time_major_{dt}", "gru", dt, seed, TWO,
                 layer="size", layer_sizes=(5, 3), clone=True, time_major=True,
                 lengths=(3, 2, 3))
