"""ONNX Runtime peer: the com.microsoft AttnLSTM contrib op (CPU execution provider).

The model is one AttnLSTM node built with the `onnx` package; weights are initializers, X and M
(memory) graph inputs. What AttnLSTM computes (ONNX Runtime's docs/ContribOperators.md and its
CPU kernel, contrib_ops/cpu/attnlstm/):
  cell input      concat(X_t, ATTN_{t-1}), ATTN_0 = 0           = TF's default cell_input_fn
  cell            ONNX LSTM, gates i, o, f, c, bias Wb + Rb,      = TF LSTMCell with the forget
                  no forget bias, no peepholes, no clip             bias folded into Wb[f]
  mechanism       Bahdanau, not normalized: keys = M · MW,        = tfa BahdanauAttention(U,
                  score = Σ V ⊙ tanh(keys + H_t · QW), softmax      normalize=False), softmax
                  over memory_seq_lens, context = align · M
  attention       AW absent: ATTN_t = CONTEXT_t                    = attention_layer_size None
  outputs         Y = every step's LSTM h, Y_h, Y_c                = output_attention False
It cannot emit the attention (no output_attention=True form), so it runs only the "_cellout"
cases, where ours and the others use output_attention=False.
Threads: SessionOptions intra_op_num_threads = inter_op_num_threads = --threads, sequential
execution; graph optimizations all.
"""
import numpy as np

from peer_common import main


class OrtPeer:
    name = "ort"

    def __init__(self, threads):
        import onnx
        import onnxruntime as ort
        self.onnx, self.ort, self.threads = onnx, ort, threads

    def versions(self):
        return {"onnxruntime": self.ort.__version__, "onnx": self.onnx.__version__,
                "numpy": np.__version__}

    def load(self, t, m):
        if m["kind"] != "attention" or m["cell"] != "lstm" or m["output_attention"]:
            raise ValueError("AttnLSTM computes only the LSTM attention encoder with "
                             "output_attention=False")
        onnx, ort = self.onnx, self.ort
        from onnx import TensorProto, helper
        B, T, I, H, Tm, Dm = (m[k] for k in ("B", "T", "I", "H", "Tm", "Dm"))
        inits = [helper.make_tensor(n, TensorProto.FLOAT, t["onnx/" + n].shape,
                                    t["onnx/" + n].tobytes(), raw=True)
                 for n in ("W", "R", "B", "QW", "MW", "V")]
        # Inputs in the schema's order; "" leaves an optional input out.
        node = helper.make_node(
            "AttnLSTM",
            ["X", "W", "R", "B", "", "", "", "", "QW", "MW", "V", "M", "", ""],
            ["Y", "Y_h", "Y_c"], domain="com.microsoft", hidden_size=H)
        graph = helper.make_graph(
            [node], "attn_lstm",
            [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I]),
             helper.make_tensor_value_info("M", TensorProto.FLOAT, [B, Tm, Dm])],
            [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 1, B, H]),
             helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, B, H]),
             helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, [1, B, H])],
            inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                        helper.make_opsetid("com.microsoft", 1)])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = self.threads
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(model.SerializeToString(), opts,
                                    providers=["CPUExecutionProvider"])
        # AttnLSTM takes time-major X; the transpose is done once, outside the timed call (ours
        # reads batch-major inputs in place).
        feeds = {"X": np.ascontiguousarray(t["inputs"].transpose(1, 0, 2)), "M": t["memory"]}
        return _Model(sess, feeds)


class _Model:
    def __init__(self, sess, feeds):
        self._sess, self._feeds, self._last = sess, feeds, None

    def call(self):
        self._last = self._sess.run(None, self._feeds)

    def outputs(self):
        y, y_h, y_c = self._last
        return {"outputs": np.ascontiguousarray(y[:, 0].transpose(1, 0, 2)),
                "final_h": y_h[0], "final_c": y_c[0]}


if __name__ == "__main__":
    main(OrtPeer)
