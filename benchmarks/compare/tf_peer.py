"""TensorFlow 2.15 peer (tensorflow-cpu + tensorflow-addons), everything inside one tf.function.

  rnn:        tf.keras.layers.GRU(reset_after=False | True) / tf.keras.layers.LSTM,
              return_sequences and return_state, weights from keras/*.
  attention:  tfa.seq2seq.AttentionWrapper(keras GRUCell | LSTMCell,
              tfa.seq2seq.BahdanauAttention(U, memory=None)) under tf.keras.layers.RNN; the memory
              is set up (masking + memory_layer) inside the timed function at every call, as ours
              does; attention_layer_size None, alignment_history False, output_attention per case.
Threads: tf.config.threading intra- and inter-op parallelism = --threads. TF's own defaults
otherwise (oneDNN custom ops on unless TF_ENABLE_ONEDNN_OPTS=0 is in the environment).
"""
import os

import numpy as np

from peer_common import main


class TFPeer:
    name = "tf"

    def __init__(self, threads):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        import tensorflow_addons as tfa
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        tf.config.set_visible_devices([], "GPU")
        self.tf, self.tfa = tf, tfa

    def versions(self):
        return {"tensorflow": self.tf.__version__, "tensorflow_addons": self.tfa.__version__,
                "numpy": np.__version__,
                "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: on)")}

    def load(self, t, m):
        tf = self.tf
        H, cell_kind = m["H"], m["cell"]
        x = tf.constant(t["inputs"])
        keras_weights = [t["keras/kernel"], t["keras/recurrent_kernel"], t["keras/bias"]]
        if m["kind"] == "rnn":
            if cell_kind == "lstm":
                layer = tf.keras.layers.LSTM(H, return_sequences=True, return_state=True)
            else:
                layer = tf.keras.layers.GRU(H, return_sequences=True, return_state=True,
                                            reset_after=cell_kind == "gru_ra")
            layer.build(x.shape)
            layer.set_weights(keras_weights)

            @tf.function
            def fn(inputs):
                res = layer(inputs)
                return {"outputs": res[0], "final_h": res[1],
                        **({"final_c": res[2]} if cell_kind == "lstm" else {})}

            return _Model(lambda: fn(x))

        tfa = self.tfa
        memory = tf.constant(t["memory"])
        B = m["B"]
        if cell_kind == "lstm":
            cell = tf.keras.layers.LSTMCell(H)
        else:
            cell = tf.keras.layers.GRUCell(H, reset_after=cell_kind == "gru_ra")
        mech = tfa.seq2seq.BahdanauAttention(m["U"], memory=None)
        wrapper = tfa.seq2seq.AttentionWrapper(cell, mech, attention_layer_size=None,
                                               alignment_history=False,
                                               output_attention=bool(m["output_attention"]))
        rnn = tf.keras.layers.RNN(wrapper, return_sequences=True, return_state=True)

        def forward(inputs, mem):
            mech.setup_memory(mem)
            init = wrapper.get_initial_state(batch_size=B, dtype=tf.float32)
            res = rnn(inputs, initial_state=init)
            # keras RNN returns the AttentionWrapperState's fields, in order, after the outputs.
            cs, attention = res[1], res[2]
            out = {"outputs": res[0], "final_attention": attention}
            if cell_kind == "lstm":
                out.update(final_h=cs[0], final_c=cs[1])  # keras LSTM state [h, c]
            else:
                out["final_h"] = cs
            return out

        forward(x, memory)  # eager: creates every variable
        cell.set_weights(keras_weights)
        mech.memory_layer.set_weights([t["tf1/memory_layer/kernel"]])
        mech.query_layer.set_weights([t["tf1/query_layer/kernel"]])
        mech.attention_v.assign(t["tf1/attention_v"])
        fn = tf.function(forward)
        return _Model(lambda: fn(x, memory))


class _Model:
    def __init__(self, call):
        self._call, self._last = call, None

    def call(self):
        self._last = self._call()

    def outputs(self):
        return {k: np.asarray(v.numpy(), np.float32) for k, v in self._last.items()}


if __name__ == "__main__":
    main(TFPeer)
