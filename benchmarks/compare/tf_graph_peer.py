"""TensorFlow 2.15 peer in TF1 graph mode (tf.compat.v1 Session), for the decode cases only.

The same date-model graph as tf_peer.py's DateDecoder (built on placeholders source_ids
[None, None] and source_length [None]); a timed call is one session.run of the output tensors
(so it includes copying them out to numpy, which tf.function's call does not). This is how
tools/train/train_date_attention.py --time-decode times TF, and how TF 1.x seq2seq models were
served. Threads: the session's ConfigProto intra- and inter-op parallelism = --threads; TF's
other defaults (oneDNN custom ops on unless TF_ENABLE_ONEDNN_OPTS=0 is in the environment).

Beam search in graph mode: TFA 0.23's pure-TF gather_tree fallback ends with
`output_ids == end_token`, which with eager execution disabled is Python identity, not
tf.equal, so every beam comes out as end_token only. As in the training script, the module's
gather_tree is replaced by graph_gather_tree below (the algorithm of TFA's C++ kernel; a copy of
the training script's, which cannot be imported: it retrains or times on import of its flags).
"""
import os

import numpy as np

from peer_common import main
from tf_peer import DateDecoder


def graph_gather_tree(tf, step_ids, parent_ids, max_sequence_lengths, end_token):
    """Backtracks beams: step_ids, parent_ids [T, B, K] int32, max_sequence_lengths [B]."""
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


class TFGraphPeer:
    name = "tf_graph"

    def __init__(self, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        import tensorflow_addons as tfa
        from tensorflow_addons.seq2seq import beam_search_decoder as tfa_beam
        tf.compat.v1.disable_eager_execution()
        tf.get_logger().setLevel("ERROR")
        tfa_beam.gather_tree = lambda *a, **k: graph_gather_tree(tf, *a, **k)
        self.tf, self.tfa, self.threads = tf, tfa, threads

    def versions(self):
        return {"tensorflow": self.tf.__version__, "tensorflow_addons": self.tfa.__version__,
                "numpy": np.__version__, "mode": "TF1 graph, session.run",
                "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: on)")}

    def load(self, t, m):
        if m["kind"] != "decode":
            raise ValueError("tf_graph runs the decode cases only")
        tf = self.tf
        graph = tf.Graph()
        with graph.as_default():
            src = tf.compat.v1.placeholder(tf.int32, [None, None], "source_ids")
            lens = tf.compat.v1.placeholder(tf.int32, [None], "source_length")
            dec = DateDecoder(tf, self.tfa, m["model"])
            fetch = dec.decode(src, lens, m["mode"])
            config = tf.compat.v1.ConfigProto(
                device_count={"GPU": 0}, intra_op_parallelism_threads=self.threads,
                inter_op_parallelism_threads=self.threads)
            sess = tf.compat.v1.Session(graph=graph, config=config)
            sess.run(tf.compat.v1.global_variables_initializer())
            dec.assign_weights(sess)
        feed = {src: t["source_ids"], lens: t["source_length"]}
        return _Model(lambda: sess.run(fetch, feed))


class _Model:
    def __init__(self, call):
        self._call, self._last = call, None

    def call(self):
        self._last = self._call()

    def outputs(self):
        return {k: np.asarray(v, np.float32) for k, v in self._last.items()}


if __name__ == "__main__":
    main(TFGraphPeer)
