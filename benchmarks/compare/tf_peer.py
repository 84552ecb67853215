"""TensorFlow 2.15 peer (tensorflow-cpu + tensorflow-addons), everything inside one tf.function.

  rnn:        tf.keras.layers.GRU(reset_after=False | True) / tf.keras.layers.LSTM,
              return_sequences and return_state, weights from keras/*.
  attention:  tfa.seq2seq.AttentionWrapper(keras GRUCell | LSTMCell,
              tfa.seq2seq.BahdanauAttention(U, memory=None)) under tf.keras.layers.RNN; the memory
              is set up (masking + memory_layer) inside the timed function at every call, as ours
              does; attention_layer_size None, alignment_history False, output_attention per case.
  decode:     the trained date model (tools/train/train_date_attention.py's EagerDecoders, rebuilt
              here: importing that script would switch TF to graph mode and oneDNN off):
              embedding -> dynamic_rnn(GRUCell(48)) -> mechanism.setup_memory(encoder outputs,
              tile_batch-ed for beam) -> tfa.seq2seq.BasicDecoder(AttentionWrapper,
              GreedyEmbeddingSampler, Dense(13)) or BeamSearchDecoder(width 4, length penalty
              0.6), maximum_iterations 12, all in one tf.function of (source_ids, source_length)
              with a [None, None] signature. Beam search back-tracks with TFA's own gather_tree
              (its pure-TF fallback: the custom op does not load with tensorflow-cpu), which is
              correct under tf.function. tf_graph_peer.py runs the same graph in TF1 graph mode.
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
        if m["kind"] == "decode":
            return self.load_decode(t, m)
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


    def load_decode(self, t, m):
        """The date model's greedy or beam decoder as one tf.function (see the docstring).
        One DateDecoder (one set of variables) per model file, with one tf.function per mode,
        as the training script's EagerDecoders: a second set of TF 1.x legacy cells in the same
        process fails to build under tf.function (Tensor.op is undefined in eager mode)."""
        tf = self.tf
        key = m["model"]
        if getattr(self, "_date", (None,))[0] != key:
            dec = DateDecoder(self.tf, self.tfa, key)
            spec = (tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32))
            fns = {mode: tf.function(lambda s, n, mode=mode: dec.decode(s, n, mode),
                                     input_signature=spec) for mode in ("greedy", "beam")}
            fns["greedy"](*(tf.constant(t[k]) for k in ("source_ids", "source_length")))
            dec.assign_weights()  # the layers build on the first call
            self._date = (key, fns)
        fn = self._date[1][m["mode"]]
        src, lens = tf.constant(t["source_ids"]), tf.constant(t["source_length"])
        return _Model(lambda: fn(src, lens))


class DateDecoder:
    """The date model (tools/train/train_date_attention.py: Model / EagerDecoders), its layers
    built on first call, weights assigned from the model file by their TF 1.x names. decode(...,
    mode) maps (source_ids [B, S], source_length [B]) to {"ids", and "logits" (greedy, [B, T, V]) or
    "scores" (beam, the raw step scores [B, T, K])}; ids are greedy sample_id [B, T] or beam
    predicted_ids [B, T, K]. Works both inside a tf.function and in a TF1 graph."""

    def __init__(self, tf, tfa, model_path):
        from peer_common import read_safetensors
        self.tf, self.tfa = tf, tfa
        self.weights, meta = read_safetensors(model_path)
        self.go, self.eos = int(meta["go_id"]), int(meta["eos_id"])
        self.max_iter = int(meta["maximum_iterations"])
        self.width = int(meta["beam_width"])
        self.penalty = float(meta["length_penalty_weight"])
        assert meta["cell"] == "gru" and meta["mechanism"] == "bahdanau" and \
            meta["normalize"] == "1" and meta["alignment_history"] == "1", meta
        w = self.weights
        units = w["encoder/gru_cell/candidate/bias"].shape[0]
        att_units = w["decoder/memory_layer/kernel"].shape[1]
        att_layer = w["decoder/attention_wrapper/attention_layer/kernel"].shape[1]
        self.src_emb = tf.Variable(w["embedding/source"])
        self.tgt_emb = tf.Variable(w["embedding/target"])
        self.enc_cell = tf.compat.v1.nn.rnn_cell.GRUCell(units)
        self.dec_cell = tf.compat.v1.nn.rnn_cell.GRUCell(units)
        self.mech = tfa.seq2seq.BahdanauAttention(att_units, normalize=True)
        self.wrapper = tfa.seq2seq.AttentionWrapper(
            self.dec_cell, self.mech, attention_layer_size=att_layer, alignment_history=True,
            output_attention=True)
        self.proj = tf.compat.v1.layers.Dense(w["output_projection/bias"].shape[0],
                                              name="output_projection")

    def names(self):
        """TF 1.x names (tools/export/export_tf1.py's tf1_names) -> variables."""
        c, d, m = self.enc_cell, self.dec_cell, self.mech
        att = "decoder/attention_wrapper/"
        names = {"embedding/source": self.src_emb, "embedding/target": self.tgt_emb,
                 "output_projection/kernel": self.proj.kernel,
                 "output_projection/bias": self.proj.bias,
                 "decoder/memory_layer/kernel": m.memory_layer.kernel,
                 att + "bahdanau_attention/query_layer/kernel": m.query_layer.kernel,
                 att + "bahdanau_attention/attention_v": m.attention_v,
                 att + "bahdanau_attention/attention_g": m.attention_g,
                 att + "bahdanau_attention/attention_b": m.attention_b,
                 att + "attention_layer/kernel": self.wrapper._attention_layers[0].kernel}
        for cell, scope in ((c, "encoder/gru_cell/"), (d, att + "gru_cell/")):
            names.update({scope + "gates/kernel": cell._gate_kernel,
                          scope + "gates/bias": cell._gate_bias,
                          scope + "candidate/kernel": cell._candidate_kernel,
                          scope + "candidate/bias": cell._candidate_bias})
        assert sorted(names) == sorted(self.weights), sorted(set(names) ^ set(self.weights))
        return names

    def assign_weights(self, session=None):
        for name, var in self.names().items():
            if session is None:
                var.assign(self.weights[name])
            else:
                var.load(self.weights[name], session)

    def decode(self, src, lens, mode):
        tf, tfa = self.tf, self.tfa
        width = self.width if mode == "beam" else 1
        out, state = tf.compat.v1.nn.dynamic_rnn(
            self.enc_cell, tf.nn.embedding_lookup(self.src_emb, src), sequence_length=lens,
            dtype=tf.float32, scope="encoder")
        if width > 1:
            out, lens, state = (tfa.seq2seq.tile_batch(x, width) for x in (out, lens, state))
        self.mech.setup_memory(out, memory_sequence_length=lens)
        init = self.wrapper.get_initial_state(batch_size=tf.shape(out)[0],
                                              dtype=tf.float32).clone(cell_state=state)
        go = tf.fill([tf.shape(src)[0]], self.go)
        if mode == "greedy":
            dec = tfa.seq2seq.BasicDecoder(
                self.wrapper, tfa.seq2seq.GreedyEmbeddingSampler(), output_layer=self.proj,
                maximum_iterations=self.max_iter, impute_finished=False)
            res, _, _ = dec(self.tgt_emb, start_tokens=go, end_token=self.eos,
                            initial_state=init)
            return {"ids": res.sample_id, "logits": res.rnn_output}
        dec = tfa.seq2seq.BeamSearchDecoder(
            self.wrapper, beam_width=self.width, output_layer=self.proj,
            length_penalty_weight=self.penalty, coverage_penalty_weight=0.0,
            maximum_iterations=self.max_iter)
        res, _, _ = dec(self.tgt_emb, start_tokens=go, end_token=self.eos, initial_state=init)
        return {"ids": res.predicted_ids, "scores": res.beam_search_decoder_output.scores}


class _Model:
    def __init__(self, call):
        self._call, self._last = call, None

    def call(self):
        self._last = self._call()

    def outputs(self):
        return {k: np.asarray(v.numpy(), np.float32) for k, v in self._last.items()}


if __name__ == "__main__":
    main(TFPeer)
