"""PyTorch peer (Debian's python3-torch, CPU), eager mode under torch.inference_mode().

  rnn:        nn.GRU (reset-after GRU: case cell "gru_ra") or nn.LSTM, batch_first, one layer,
              weights from torch/* (forget bias folded into bias_ih).
  attention:  a hand-written loop: nn.GRUCell / nn.LSTMCell on [x_t ; attention_{t-1}], then
              Bahdanau in torch ops (keys = memory @ W_mem once per call, score = v . tanh(keys +
              h @ W_query), softmax, context = alignments @ memory): TF's AttentionWrapper with
              attention_layer_size None, every length full.
Threads: torch.set_num_threads(--threads); OMP/OpenBLAS thread variables set before the import.
Run with /usr/bin/python3 (Debian's torch is installed for the system Python, not the venv).
"""
import numpy as np

from peer_common import main


class TorchPeer:
    name = "torch"

    def __init__(self, threads):
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
        self.torch = torch

    def versions(self):
        t = self.torch
        return {"torch": t.__version__, "numpy": np.__version__,
                "parallel": t.__config__.parallel_info().splitlines()[:6]}

    def load(self, t, m):
        torch = self.torch
        nn = torch.nn
        H, In, lstm = m["H"], t["torch/weight_ih"].shape[1], m["cell"] == "lstm"
        if m["cell"] == "gru":
            raise ValueError("PyTorch has no TF 1.x (reset-before) GRU")
        T = lambda name: torch.from_numpy(np.ascontiguousarray(t[name]))  # noqa: E731
        x = torch.from_numpy(t["inputs"])
        if m["kind"] == "rnn":
            mod = (nn.LSTM if lstm else nn.GRU)(In, H, batch_first=True)
            with torch.no_grad():
                mod.weight_ih_l0.copy_(T("torch/weight_ih"))
                mod.weight_hh_l0.copy_(T("torch/weight_hh"))
                mod.bias_ih_l0.copy_(T("torch/bias_ih"))
                mod.bias_hh_l0.copy_(T("torch/bias_hh"))
            mod.eval()

            def fn():
                out, st = mod(x)
                if lstm:
                    return {"outputs": out, "final_h": st[0][0], "final_c": st[1][0]}
                return {"outputs": out, "final_h": st[0]}

            return _Model(torch, fn)

        cell = (nn.LSTMCell if lstm else nn.GRUCell)(In, H)
        with torch.no_grad():
            cell.weight_ih.copy_(T("torch/weight_ih"))
            cell.weight_hh.copy_(T("torch/weight_hh"))
            cell.bias_ih.copy_(T("torch/bias_ih"))
            cell.bias_hh.copy_(T("torch/bias_hh"))
        cell.eval()
        memory = torch.from_numpy(t["memory"])
        w_mem, w_query = T("tf1/memory_layer/kernel"), T("tf1/query_layer/kernel")
        v = T("tf1/attention_v")
        B, steps, Dm = m["B"], m["T"], m["Dm"]
        output_attention = bool(m["output_attention"])

        def fn():
            keys = torch.matmul(memory, w_mem)                      # [B, Tm, U]
            h = torch.zeros(B, H)
            c = torch.zeros(B, H)
            attention = torch.zeros(B, Dm)
            outs = []
            for step in range(steps):
                cell_in = torch.cat([x[:, step], attention], 1)
                if lstm:
                    h, c = cell(cell_in, (h, c))
                else:
                    h = cell(cell_in, h)
                pq = torch.matmul(h, w_query)                         # [B, U]
                score = torch.matmul(torch.tanh(keys + pq.unsqueeze(1)), v)   # [B, Tm]
                align = torch.softmax(score, 1)
                attention = torch.bmm(align.unsqueeze(1), memory).squeeze(1)  # [B, Dm]
                outs.append(attention if output_attention else h)
            res = {"outputs": torch.stack(outs, 1), "final_h": h, "final_attention": attention}
            if lstm:
                res["final_c"] = c
            return res

        return _Model(torch, fn)


class _Model:
    def __init__(self, torch, fn):
        self._torch, self._fn, self._last = torch, fn, None

    def call(self):
        with self._torch.inference_mode():
            self._last = self._fn()

    def outputs(self):
        return {k: np.ascontiguousarray(v.numpy(), np.float32) for k, v in self._last.items()}


if __name__ == "__main__":
    main(TorchPeer)
