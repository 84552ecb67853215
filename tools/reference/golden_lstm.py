"""Golden fixtures for the full TF 1.x LSTMCell (tests/golden/lstm_full_*): use_peepholes,
cell_clip, num_proj, proj_clip and forget_bias, one step (cell(inputs, state)) and
tf.compat.v1.nn.dynamic_rnn with ragged lengths, float32 and float64.

Each option set is written three times per dtype:
  lstm_full_<config>_step_<dt>        output, next_state = cell(inputs, state)
  lstm_full_<config>_rnn_<dt>         dynamic_rnn, lengths [6, 1, 4, 3] (a full row, a 1)
  lstm_full_<config>_rnn_early_<dt>   dynamic_rnn, lengths [5, 1, 2, 4]: early stop, 5 < T = 6
Both dynamic_rnn cases start from a given random state (h of width P), so the peephole terms
on c_prev are active from the first step. The cell's variables are stored under "cell/" with
TF's names (kernel, bias, w_f_diag, w_i_diag, w_o_diag, projection/kernel), as the
dynamic_rnn_* fixtures do. The generator asserts that each clip really clips some values and
leaves others alone.
"""
from golden_common import DTYPES, Weights, np, save, tf

B, T, I, H, P = 4, 6, 5, 4, 3
LENGTHS = {"rnn": [6, 1, 4, 3], "rnn_early": [5, 1, 2, 4]}

# name -> TF LSTMCell options. Clip limits are chosen so that clipping is active but partial.
CONFIGS = {
    "peepholes": dict(use_peepholes=True),
    "cellclip": dict(cell_clip=0.8),
    "proj": dict(num_proj=P),
    "projclip": dict(num_proj=P, proj_clip=0.25),
    "all": dict(use_peepholes=True, cell_clip=0.8, num_proj=P, proj_clip=0.25, forget_bias=0.7),
}


def lstm_weights(w, cell, opts):
    w.set(cell._kernel, "cell/kernel", 0.6)
    w.set(cell._bias, "cell/bias", 0.5)
    if opts.get("use_peepholes"):
        w.set(cell._w_f_diag, "cell/w_f_diag", 0.9)
        w.set(cell._w_i_diag, "cell/w_i_diag", 0.9)
        w.set(cell._w_o_diag, "cell/w_o_diag", 0.9)
    if opts.get("num_proj"):
        w.set(cell._proj_kernel, "cell/projection/kernel", 0.8)


def assert_clipped(values, limit, what):
    """Some |values| sit exactly on the limit (clipped) and some strictly inside."""
    a, lim = np.abs(values), np.asarray(limit, values.dtype)  # TF clips at the dtype's limit
    print(f"  {what}: {np.mean(a == lim):.2f} clipped")
    assert np.all(a <= lim), what
    assert np.any(a == lim), f"{what}: clip {limit} never active"
    assert np.any(a < lim), f"{what}: every value clipped"


def check_clips(opts, c, h, name):
    if opts.get("cell_clip") is not None:
        assert_clipped(c, opts["cell_clip"], name + " c")
    if opts.get("proj_clip") is not None:
        assert_clipped(h, opts["proj_clip"], name + " h")


def gen_case(config, mode, dt, seed):
    opts = CONFIGS[config]
    np_dtype, tf_dtype = DTYPES[dt]
    p = opts.get("num_proj") or H
    forget_bias = opts.get("forget_bias", 1.0)
    g = tf.Graph()
    with g.as_default():
        w = Weights(seed, np_dtype)
        cell = tf.compat.v1.nn.rnn_cell.LSTMCell(
            H, use_peepholes=opts.get("use_peepholes", False), cell_clip=opts.get("cell_clip"),
            num_proj=opts.get("num_proj"), proj_clip=opts.get("proj_clip"),
            forget_bias=forget_bias, dtype=tf_dtype)
        c0 = w.rng.uniform(-1.5, 1.5, (B, H)).astype(np_dtype)
        h0 = w.rng.uniform(-0.8, 0.8, (B, p)).astype(np_dtype)
        state = tf.compat.v1.nn.rnn_cell.LSTMStateTuple(tf.constant(c0), tf.constant(h0))
        if mode == "step":
            x = w.rng.uniform(-2.0, 2.0, (B, I)).astype(np_dtype)
            x[0, :] = [4.5, -4.5, 6.0, -0.0003, 0.0002]  # saturating and tiny inputs
            out, nxt = cell(tf.constant(x), state)
        else:
            x = w.rng.uniform(-1.5, 1.5, (B, T, I)).astype(np_dtype)
            out, nxt = tf.compat.v1.nn.dynamic_rnn(
                cell, tf.constant(x), sequence_length=tf.constant(LENGTHS[mode], tf.int32),
                initial_state=state, dtype=tf_dtype)
            # The same cell unrolled by hand, only to see every step's c and h for the clip
            # checks (dynamic_rnn returns the last state only).
            steps, s = [], state
            for t in range(T):
                m, s = cell(tf.constant(x[:, t]), s)
                steps.append(s)
        lstm_weights(w, cell, opts)
        with tf.compat.v1.Session(graph=g) as sess:
            w.run_assign(sess)
            out_v, nxt_v = sess.run([out, nxt])
            steps_v = sess.run(steps) if mode != "step" else [nxt_v]
    name = f"lstm_full_{config}_{mode}_{dt}"
    if mode == "step":
        check_clips(opts, nxt_v.c, out_v, name)
    else:
        # Steps each row really runs (t < its length); there the unrolled cell is dynamic_rnn.
        valid = np.arange(T)[None, :] < np.array(LENGTHS[mode])[:, None]
        cs = np.stack([v.c for v in steps_v], 1)[valid]
        hs = np.stack([v.h for v in steps_v], 1)
        np.testing.assert_allclose(hs[valid], out_v[valid], rtol=1e-5, atol=1e-6)
        check_clips(opts, cs, hs[valid], name)
    tensors = dict(w.tensors, inputs=x)
    tensors.update({"next_state/c": nxt_v.c, "next_state/h": nxt_v.h} if mode == "step" else
                   {"final_state/c": nxt_v.c, "final_state/h": nxt_v.h})
    if mode == "step":
        tensors.update({"state/c": c0, "state/h": h0, "output": out_v})
    else:
        tensors.update({"initial_state/c": c0, "initial_state/h": h0, "outputs": out_v,
                        "sequence_length": np.array(LENGTHS[mode], np.int64)})
    meta = dict(cell="lstm", mode=mode, dtype=dt, batch=B, input_depth=I, num_units=H,
                max_time=T if mode != "step" else 1, time_major=0,
                use_peepholes=int(bool(opts.get("use_peepholes"))),
                num_proj=opts.get("num_proj") or 0,
                cell_clip=opts.get("cell_clip", "none"), proj_clip=opts.get("proj_clip", "none"),
                forget_bias=forget_bias)
    save(name, tensors, meta)


def generate():
    seed = 4000
    for dt in ("f32", "f64"):
        for config in CONFIGS:
            for mode in ("step", "rnn", "rnn_early"):
                seed += 1
                gen_case(config, mode, dt, seed)


if __name__ == "__main__":
    generate()
