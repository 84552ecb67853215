#!/usr/bin/env python3
"""Trains two small PyTorch RNNs on synthetic sequence tasks and writes trained goldens.

Runs under Debian's /usr/bin/python3 (python3-torch, CPU); no TensorFlow. batch_first=True,
full-length sequences (no packing), zero initial state. Inputs x_t ~ U(-1, 1)^4, T=10.

GRU  nn.GRU(input_size=4, hidden_size=16, num_layers=2, bidirectional=True) + Linear(32, 2)
     Task (per step, two binary labels, needs both directions):
       label 0 = [x_1[0] + ... + x_t[0] > 0]   (prefix sum, forward in time)
       label 1 = [x_t[1] + ... + x_T[1] > 0]   (suffix sum, backward in time)
LSTM nn.LSTM(input_size=4, hidden_size=16, num_layers=2) + Linear(16, 3)
     Task (per step, 3 classes): argmax over k in {0,1,2} of the running sum x_1[k]+...+x_t[k].

Writes (tests/golden/trained/)
  torch_{gru,lstm}_model.safetensors     the RNN module's state_dict under its PyTorch names
                                         (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0,
                                         ..._l1, ..._reverse), float32, via
                                         tools/export/export_torch.py; plus the head as
                                         head.weight [C, H*dirs] / head.bias [C].
  torch_{gru,lstm}_model.npz             the same state_dict via np.savez_compressed.
  torch_{gru,lstm}_expected.safetensors  held-out batch of 8: inputs [8, T, 4],
                                         outputs [8, T, H*dirs], h_n [layers*dirs, 8, 16],
                                         (LSTM) c_n, (GRU) layer0_outputs [8, T, 32],
                                         head_outputs [8, T, C] (logits), targets (int64);
                                         metadata accuracy = per-step accuracy on 4096
                                         held-out sequences.

Deterministic: seeded NumPy data, torch.manual_seed, torch.use_deterministic_algorithms(True),
torch.set_num_threads(1), fixed number of epochs.
Run:  /usr/bin/python3 tools/train/train_torch_rnn.py
"""
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_torch import export_torch  # noqa: E402
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "trained"))

T, I, H = 10, 4, 16
N_TRAIN, N_TEST, BATCH = 16384, 4096, 64

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def gru_targets(x):
    prefix = np.cumsum(x[:, :, 0], axis=1) > 0
    suffix = np.cumsum(x[:, ::-1, 1], axis=1)[:, ::-1] > 0
    return np.stack([prefix, suffix], axis=-1).astype(np.float32)  # [N, T, 2]


def lstm_targets(x):
    return np.argmax(np.cumsum(x[:, :, :3], axis=1), axis=-1).astype(np.int64)  # [N, T]


class Model(nn.Module):
    def __init__(self, kind, n_out):
        super().__init__()
        if kind == "gru":
            self.rnn = nn.GRU(input_size=I, hidden_size=H, num_layers=2, bidirectional=True,
                              batch_first=True)
            self.head = nn.Linear(2 * H, n_out)
        else:
            self.rnn = nn.LSTM(input_size=I, hidden_size=H, num_layers=2, batch_first=True)
            self.head = nn.Linear(H, n_out)

    def forward(self, x):
        out, state = self.rnn(x)
        return self.head(out), out, state


def accuracy(kind, logits, y):
    if kind == "gru":
        return float(((logits > 0).float() == y).float().mean())
    return float((logits.argmax(-1) == y).float().mean())


def train(kind, seed, epochs, lr):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    make_y = gru_targets if kind == "gru" else lstm_targets
    x_tr = rng.uniform(-1, 1, size=(N_TRAIN, T, I)).astype(np.float32)
    x_te = rng.uniform(-1, 1, size=(N_TEST, T, I)).astype(np.float32)
    x_ex = rng.uniform(-1, 1, size=(8, T, I)).astype(np.float32)
    y_tr, y_te, y_ex = (torch.from_numpy(make_y(a)) for a in (x_tr, x_te, x_ex))
    x_tr, x_te, x_ex = (torch.from_numpy(a) for a in (x_tr, x_te, x_ex))

    n_out = 2 if kind == "gru" else 3
    model = Model(kind, n_out)
    loss_fn = nn.BCEWithLogitsLoss() if kind == "gru" else nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(N_TRAIN, generator=gen)
        total = 0.0
        for b in range(0, N_TRAIN, BATCH):
            idx = perm[b:b + BATCH]
            logits = model(x_tr[idx])[0]
            if kind == "gru":
                loss = loss_fn(logits, y_tr[idx])
            else:
                loss = loss_fn(logits.reshape(-1, n_out), y_tr[idx].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = accuracy(kind, model(x_te)[0], y_te)
        print(f"[{kind}] epoch {epoch + 1}: loss {total / N_TRAIN:.4f} held-out acc {acc:.4f} "
              f"({time.time() - t0:.1f}s)", flush=True)
    train_seconds = time.time() - t0

    model.eval()
    with torch.no_grad():
        acc = accuracy(kind, model(x_te)[0], y_te)
        head_out, out, state = model(x_ex)
        expected = {"inputs": x_ex.numpy(), "outputs": out.numpy(),
                    "head_outputs": head_out.numpy(), "targets": y_ex.numpy().astype(np.int64)}
        if kind == "gru":
            expected["h_n"] = state.numpy()
            # Layer 0 alone (a 1-layer bidirectional GRU holding the *_l0* weights).
            l0 = nn.GRU(input_size=I, hidden_size=H, num_layers=1, bidirectional=True,
                        batch_first=True)
            sd = model.rnn.state_dict()
            l0.load_state_dict({k: v for k, v in sd.items() if "_l0" in k})
            out0, h0 = l0(x_ex)
            assert torch.equal(h0, state[0:2])
            expected["layer0_outputs"] = out0.numpy()
            # Layer 1 fed with layer 0's outputs reproduces the module's outputs.
            l1 = nn.GRU(input_size=2 * H, hidden_size=H, num_layers=1, bidirectional=True,
                        batch_first=True)
            l1.load_state_dict({k.replace("_l1", "_l0"): v for k, v in sd.items()
                                if "_l1" in k})
            out1, _ = l1(out0)
            assert torch.allclose(out1, out, atol=1e-6), float((out1 - out).abs().max())
        else:
            expected["h_n"], expected["c_n"] = state[0].numpy(), state[1].numpy()
    expected = {k: np.ascontiguousarray(v) for k, v in expected.items()}

    rnn = model.rnn
    task = ("per step: [prefix sum of x[0] > 0, suffix sum of x[1] > 0], 2 binary labels, "
            "T=10, x ~ U(-1,1)^4" if kind == "gru" else
            "per step: argmax_k of running sum of x[k], k in {0,1,2}, T=10, x ~ U(-1,1)^4")
    meta = {"kind": kind, "input_size": I, "hidden_size": H, "num_layers": rnn.num_layers,
            "bidirectional": int(rnn.bidirectional), "batch_first": 1, "time_steps": T,
            "task": task, "accuracy": f"{acc:.6f}", "held_out_sequences": N_TEST,
            "train_sequences": N_TRAIN, "epochs": epochs, "seed": seed,
            "head": f"head.weight [{n_out}, {H * (2 if rnn.bidirectional else 1)}], head.bias",
            "numpy": np.__version__}
    os.makedirs(OUT, exist_ok=True)
    model_path = os.path.join(OUT, f"torch_{kind}_model.safetensors")
    head = {"head." + k: v.detach().numpy().astype(np.float32)
            for k, v in model.head.state_dict().items()}
    export_torch(rnn, model_path, meta, extra_tensors=head)
    # The same state_dict as NumPy's compressed .npz (what np.savez users hand over), so the C++
    # npz reader is proven on a real model too.
    np.savez_compressed(os.path.join(OUT, f"torch_{kind}_model.npz"),
                        **{k: v.detach().numpy().astype(np.float32)
                           for k, v in rnn.state_dict().items()})
    exp_path = os.path.join(OUT, f"torch_{kind}_expected.safetensors")
    write_safetensors(exp_path, expected, {
        "accuracy": f"{acc:.6f}", "kind": kind, "input_size": I, "hidden_size": H,
        "num_layers": rnn.num_layers, "bidirectional": int(rnn.bidirectional), "batch": 8,
        "time_steps": T, "task": task, "model_file": os.path.basename(model_path),
        "head_outputs_note": "head logits, per step", "torch": torch.__version__})
    for path in (model_path, exp_path):
        tensors, _ = read_safetensors(path)
        print(os.path.relpath(path), os.path.getsize(path), "bytes")
        for k in sorted(tensors):
            print(f"  {k} {tensors[k].dtype} {list(tensors[k].shape)}")
    print(f"[{kind}] held-out per-step accuracy {acc:.4f}, {epochs} epochs, "
          f"{train_seconds:.1f}s", flush=True)
    return acc, train_seconds


def main():
    which = sys.argv[1:] or ["gru", "lstm"]
    if "gru" in which:
        train("gru", seed=2024, epochs=12, lr=0.01)
    if "lstm" in which:
        train("lstm", seed=2025, epochs=12, lr=0.01)


if __name__ == "__main__":
    main()
