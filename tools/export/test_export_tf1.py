#!/usr/bin/env python3
"""Self-test of tools/export: safetensors round trip, rename rules, checkpoint CLI, tf1_names.

Run:  /tmp/tfref/venv/bin/python tools/export/test_export_tf1.py   (about 10 s; prints "ok")

The checkpoint test builds a small GRU + normalized Bahdanau AttentionWrapper model with TFA's own
variable names, trains one Adam step (so the checkpoint holds Adam slots, beta1_power, ...),
saves it with a default tf.compat.v1.train.Saver, converts it with the CLI and --rename rules to
the canonical TF 1.x names, and checks the result equals export_session(tf1_names(...)).
"""
import os
import subprocess
import sys
import tempfile

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from safetensors_io import ST_DTYPE, read_safetensors, write_safetensors  # noqa: E402


def test_round_trip(tmp):
    rng = np.random.default_rng(0)
    tensors = {f"t/{dt.name}": (rng.uniform(-9, 9, (2, 3)) * 1).astype(dt) for dt in ST_DTYPE}
    tensors["scalar"] = np.asarray(0.25, np.float32)
    tensors["empty"] = np.zeros((0, 4), np.float64)
    tensors["big_i64"] = np.array([2**62, -(2**62)], np.int64)
    path = os.path.join(tmp, "rt.safetensors")
    write_safetensors(path, tensors, {"a": 1, "b": "x y"})
    back, meta = read_safetensors(path)
    assert meta == {"a": "1", "b": "x y"}, meta
    assert sorted(back) == sorted(tensors)
    for n, v in tensors.items():
        assert back[n].dtype == v.dtype and back[n].shape == v.shape, n
        assert np.array_equal(back[n], v), n


def test_rename():
    from export_tf1 import is_skipped, parse_renames, rename

    rules = parse_renames(["enc=encoder", "BahdanauAttention/kernel=decoder/memory_layer/kernel",
                           "BahdanauAttention/=decoder/attention_wrapper/bahdanau_attention/"])
    assert rename("enc/x", rules) == "encoder/x"
    assert rename("encoder/x", rules) == "encoder/x"  # "enc" is not a path component of it
    assert rename("BahdanauAttention/kernel", rules) == "decoder/memory_layer/kernel"
    assert rename("BahdanauAttention/attention_v", rules) == \
        "decoder/attention_wrapper/bahdanau_attention/attention_v"
    assert rename("attention_wrapper/BahdanauAttention/kernel", rules) == \
        "attention_wrapper/BahdanauAttention/kernel"
    for name in ("enc/x/Adam", "enc/x/Adam_1", "beta1_power", "beta2_power", "global_step"):
        assert is_skipped(name), name
    assert not is_skipped("decoder/attention_wrapper/attention_layer/kernel")


def test_checkpoint(tmp):
    import tensorflow as tf
    import tensorflow_addons as tfa

    from export_tf1 import export_session, tf1_names

    tf.compat.v1.disable_eager_execution()
    tf.config.experimental.enable_op_determinism()
    g = tf.Graph()
    with g.as_default():
        tf.keras.utils.set_random_seed(7)
        x = tf.constant(np.random.default_rng(1).uniform(-1, 1, (3, 4, 5)).astype(np.float32))
        lens = tf.constant([4, 2, 3])
        cell = tf.compat.v1.nn.rnn_cell.GRUCell(6)
        mech = tfa.seq2seq.BahdanauAttention(4, memory=x, memory_sequence_length=lens,
                                             normalize=True)
        wrapper = tfa.seq2seq.AttentionWrapper(cell, mech, attention_layer_size=5)
        out, _ = tf.compat.v1.nn.dynamic_rnn(wrapper, x, sequence_length=lens, dtype=tf.float32,
                                             scope="decoder")
        step = tf.compat.v1.train.get_or_create_global_step()
        train = tf.compat.v1.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(out ** 2),
                                                               global_step=step)
        names = tf1_names(wrapper=wrapper, cell_scope="decoder/attention_wrapper/gru_cell",
                          mechanism_scope="decoder/attention_wrapper/bahdanau_attention",
                          memory_layer_scope="decoder/memory_layer")
        assert sorted(names) == sorted([
            "decoder/attention_wrapper/attention_layer/kernel",
            "decoder/attention_wrapper/bahdanau_attention/attention_b",
            "decoder/attention_wrapper/bahdanau_attention/attention_g",
            "decoder/attention_wrapper/bahdanau_attention/attention_v",
            "decoder/attention_wrapper/bahdanau_attention/query_layer/kernel",
            "decoder/attention_wrapper/gru_cell/candidate/bias",
            "decoder/attention_wrapper/gru_cell/candidate/kernel",
            "decoder/attention_wrapper/gru_cell/gates/bias",
            "decoder/attention_wrapper/gru_cell/gates/kernel",
            "decoder/memory_layer/kernel"]), sorted(names)
        with tf.compat.v1.Session(graph=g) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            sess.run(train)
            prefix = tf.compat.v1.train.Saver().save(sess, os.path.join(tmp, "ckpt"))
            expected = export_session(sess, os.path.join(tmp, "live.safetensors"), names)
    out_path = os.path.join(tmp, "from_ckpt.safetensors")
    renames = ["BahdanauAttention/kernel=decoder/memory_layer/kernel",
               "BahdanauAttention/=decoder/attention_wrapper/bahdanau_attention/",
               "attention_wrapper/BahdanauAttention/kernel="
               "decoder/attention_wrapper/bahdanau_attention/query_layer/kernel",
               "attention_wrapper/attention_layer=decoder/attention_wrapper/attention_layer",
               "decoder/gru_cell=decoder/attention_wrapper/gru_cell"]
    cmd = [sys.executable, os.path.join(HERE, "export_tf1.py"), prefix, out_path]
    for r in renames:
        cmd += ["--rename", r]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    got, meta = read_safetensors(out_path)
    assert sorted(got) == sorted(expected), sorted(got)
    for n, v in expected.items():
        assert got[n].dtype == v.dtype and np.array_equal(got[n], v), n
    assert got["decoder/attention_wrapper/bahdanau_attention/attention_g"].shape == ()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        test_round_trip(tmp)
        test_rename()
        test_checkpoint(tmp)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
