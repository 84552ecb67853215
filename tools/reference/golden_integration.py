"""Golden fixtures tests/golden/integration_*.safetensors: an integration case combining several
features, "multi-mechanism wrappers over stacked LSTMs with peepholes and projection":

  tfa.seq2seq.AttentionWrapper(
      tf.compat.v1.nn.rnn_cell.MultiRNNCell([
          LSTMCell(6, use_peepholes=True, num_proj=5[, cell_clip=0.4]),
          LSTMCell(5, use_peepholes=True, num_proj=4, proj_clip=0.3)]),
      [tfa BahdanauAttention(3, memory0, lengths0, normalize=True),
       tfa LuongAttention(4, memory1, lengths1, scale=True)],
      attention_layer_size=[5, 3], alignment_history=True)

under tf.compat.v1.nn.dynamic_rnn in graph mode, ragged input lengths (a 1 and a full row) and
ragged memory lengths, float32 and float64. The Luong query is the top layer's output, so its
units (4) equal the top layer's num_proj.

Fixture layout:
  inputs [B, T, I], outputs [B, T, 5 + 3], sequence_length [B]
  cell_<k>/kernel, cell_<k>/bias, cell_<k>/w_f_diag, w_i_diag, w_o_diag, cell_<k>/projection/kernel
  mechanism0/memory, memory_sequence_length, memory_layer/kernel, query_layer/kernel,
             attention_v, attention_g, attention_b                          (Bahdanau, normalized)
  mechanism1/memory, memory_sequence_length, memory_layer/kernel, attention_g (Luong, scaled)
  attention_layer<i>/kernel
  final_state/cell_state/cell_<k>/{c, h}, final_state/attention,
  final_state/alignments/<i>, final_state/attention_state/<i>, final_state/alignment_history/<i>
metadata: the sizes, per layer num_units<k>, num_proj<k>, cell_clip<k>, proj_clip<k>
("none" or the limit), forget_bias, attention_units<i>, memory_time<i>, memory_depth<i>,
attention_layer_size<i>, time (history entries).
"""
import numpy as np

from golden_common import DTYPES, Weights, save, tf, tfa
from golden_lstm import lstm_weights
from golden_wrapper import mechanism_weights

B, T, I = 3, 5, 3
LENGTHS = (5, 1, 3)
LAYER_SIZES = (5, 3)
BAHDANAU = dict(units=3, Tm=4, Dm=7, lengths=(4, 2, 1))
LUONG = dict(units=4, Tm=6, Dm=5, lengths=(3, 6, 2))

PROJ_SCALE = (0.8, 1.6)

# name -> the two layers' TF LSTMCell options.
CONFIGS = {
    "noclip": [dict(num_units=6, use_peepholes=True, num_proj=5),
               dict(num_units=5, use_peepholes=True, num_proj=4, proj_clip=0.3)],
    "cellclip": [dict(num_units=6, use_peepholes=True, num_proj=5, cell_clip=0.4),
                 dict(num_units=5, use_peepholes=True, num_proj=4, proj_clip=0.3)],
}


def prefixed_lstm_weights(w, cell, opts, prefix, proj_scale):
    """golden_lstm.lstm_weights writes "cell/..."; the stacked layers are "cell_<k>/...". The
    projection is then redrawn at `proj_scale`, large enough that proj_clip is active."""
    before = set(w.tensors)
    lstm_weights(w, cell, opts)
    for key in set(w.tensors) - before:
        w.tensors[prefix + key[len("cell/"):]] = w.tensors.pop(key)
    w.assign = [(v, x) for v, x in w.assign if v is not cell._proj_kernel]
    w.set(cell._proj_kernel, prefix + "projection/kernel", proj_scale)


def gen_case(config, dt, seed):
    layers = CONFIGS[config]
    np_dtype, tf_dtype = DTYPES[dt]
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        x = w.rng.uniform(-1.5, 1.5, (B, T, I)).astype(np_dtype)
        mems = [w.rng.uniform(-1.0, 1.0, (B, m["Tm"], m["Dm"])).astype(np_dtype)
                for m in (BAHDANAU, LUONG)]
        cells = [tf.compat.v1.nn.rnn_cell.LSTMCell(
            o["num_units"], use_peepholes=o["use_peepholes"], cell_clip=o.get("cell_clip"),
            num_proj=o.get("num_proj"), proj_clip=o.get("proj_clip"), forget_bias=1.0,
            dtype=tf_dtype) for o in layers]
        multi = tf.compat.v1.nn.rnn_cell.MultiRNNCell(cells)
        bahdanau = tfa.seq2seq.BahdanauAttention(
            BAHDANAU["units"], memory=tf.constant(mems[0]),
            memory_sequence_length=tf.constant(list(BAHDANAU["lengths"]), tf.int32),
            normalize=True, dtype=tf_dtype)
        luong = tfa.seq2seq.LuongAttention(
            LUONG["units"], memory=tf.constant(mems[1]),
            memory_sequence_length=tf.constant(list(LUONG["lengths"]), tf.int32),
            scale=True, dtype=tf_dtype)
        wrapper = tfa.seq2seq.AttentionWrapper(
            multi, [bahdanau, luong], attention_layer_size=list(LAYER_SIZES),
            alignment_history=True, dtype=tf_dtype)
        out, final = tf.compat.v1.nn.dynamic_rnn(
            wrapper, tf.constant(x), sequence_length=tf.constant(list(LENGTHS), tf.int32),
            dtype=tf_dtype)
        histories = [h.stack() for h in final.alignment_history]
        for k, (cell, opts) in enumerate(zip(cells, layers)):
            prefixed_lstm_weights(w, cell, opts, f"cell_{k}/", PROJ_SCALE[k])
        mechanism_weights(w, bahdanau, True, "mechanism0/")
        w.set(luong.memory_layer.kernel, "mechanism1/memory_layer/kernel", 0.6)
        # Luong's scale g away from its initial 1.0, so that a missing scale shows.
        gl = np.asarray(w.rng.uniform(0.5, 1.5), dtype=np_dtype)
        w.assign.append((luong.scale_weight, gl))
        w.tensors["mechanism1/attention_g"] = gl
        for i, lay in enumerate(wrapper._attention_layers):
            w.set(lay.kernel, f"attention_layer{i}/kernel", 0.6)
        # Every variable of the graph is assigned explicitly (no initialiser value is used).
        assigned = [v.name for v, _ in w.assign]
        assert len(assigned) == len(set(assigned)), assigned
        assert set(assigned) == {v.name for v in tf.compat.v1.global_variables()}, assigned
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            fetch = {"cell_state": final.cell_state, "attention": final.attention,
                     "alignments": list(final.alignments),
                     "attention_state": list(final.attention_state)}
            out_v, fin, hist = sess.run([out, fetch, histories])
    name = f"integration_multi_attention_stacked_peephole_proj_lstm_{config}_{dt}"
    tensors = dict(w.tensors, inputs=x, outputs=out_v,
                   sequence_length=np.array(LENGTHS, np.int64))
    for k, st in enumerate(fin["cell_state"]):
        tensors[f"final_state/cell_state/cell_{k}/c"] = st.c
        tensors[f"final_state/cell_state/cell_{k}/h"] = st.h
    # The clips are active (some values on the limit) in the final state.
    top = fin["cell_state"][1].h
    lim = np.asarray(0.3, np_dtype)
    assert np.all(np.abs(top) <= lim) and np.any(np.abs(top) == lim) and np.any(np.abs(top) < lim), top
    if layers[0].get("cell_clip") is not None:
        c0 = fin["cell_state"][0].c
        lim = np.asarray(layers[0]["cell_clip"], np_dtype)
        print(f"  cell_clip: {np.mean(np.abs(c0) == lim):.2f} of final c clipped")
        assert np.all(np.abs(c0) <= lim) and np.any(np.abs(c0) == lim) and np.any(np.abs(c0) < lim), c0
    tensors["final_state/attention"] = fin["attention"]
    steps = {h.shape[0] for h in hist}
    assert len(steps) == 1, steps
    for i, m in enumerate((BAHDANAU, LUONG)):
        tensors[f"mechanism{i}/memory"] = mems[i]
        tensors[f"mechanism{i}/memory_sequence_length"] = np.array(m["lengths"], np.int64)
        tensors[f"final_state/alignments/{i}"] = fin["alignments"][i]
        tensors[f"final_state/attention_state/{i}"] = fin["attention_state"][i]
        tensors[f"final_state/alignment_history/{i}"] = hist[i]
    meta = dict(dtype=dt, batch=B, max_time=T, input_depth=I, num_layers=len(layers),
                forget_bias=1.0, num_mechanisms=2, mechanisms="bahdanau_normalized,luong_scaled",
                alignment_history=1, output_attention=1, time_major=0, time=steps.pop())
    for k, o in enumerate(layers):
        meta[f"num_units{k}"] = o["num_units"]
        meta[f"use_peepholes{k}"] = int(o["use_peepholes"])
        meta[f"num_proj{k}"] = o.get("num_proj") or 0
        meta[f"cell_clip{k}"] = o.get("cell_clip", "none")
        meta[f"proj_clip{k}"] = o.get("proj_clip", "none")
    for i, m in enumerate((BAHDANAU, LUONG)):
        meta[f"attention_units{i}"] = m["units"]
        meta[f"memory_time{i}"] = m["Tm"]
        meta[f"memory_depth{i}"] = m["Dm"]
        meta[f"attention_layer_size{i}"] = LAYER_SIZES[i]
    save(name, tensors, meta)


def generate():
    seed = 7000
    for dt in ("f32", "f64"):
        for config in CONFIGS:
            seed += 1
            gen_case(config, dt, seed)


if __name__ == "__main__":
    generate()
