#!/usr/bin/env python3
"""PyTorch's side of the guide's page on where the frameworks differ (docs/guide/differences.md;
the TensorFlow side is tools/reference/gen_differences.py).

tests/golden/differences/torch_packed{,_f64}.safetensors
  nn.GRU(input_size=2, hidden_size=4, bidirectional=True, batch_first=True), its state_dict under
  PyTorch's names (weight_ih_l0, ..., bias_hh_l0_reverse), inputs [3, 5, 2] and lengths
  {5, 3, 2} (the tutorial's), run twice from a zero state:
    packed_outputs [3, 5, 8], packed_h_n [2, 3, 4]   pack_padded_sequence(enforce_sorted=False)
                                                     -> GRU -> pad_packed_sequence(total_length=5)
    padded_outputs [3, 5, 8], padded_h_n [2, 3, 4]   the padded batch as it stands (no packing)
  float32 and float64 (the module converted with .double()).

Deterministic: torch.manual_seed, seeded NumPy inputs, one thread.
Run (from the repository root; Debian's python3-torch):
  /usr/bin/python3 tools/reference/gen_differences_torch.py
"""
import copy
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))
from export_torch import state_dict_arrays  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "differences"))
B, T, I, H = 3, 5, 2, 4
LENGTHS = [5, 3, 2]

torch.set_num_threads(1)
torch.manual_seed(11)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    inputs64 = rng.uniform(-1.0, 1.0, size=(B, T, I))
    gru = nn.GRU(I, H, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for p in gru.parameters():  # larger than the default init, so that differences show
            p.uniform_(-0.8, 0.8)
    for suffix, np_dtype, torch_dtype in (("", np.float32, torch.float32),
                                          ("_f64", np.float64, torch.float64)):
        module = copy.deepcopy(gru).to(torch_dtype)
        x = torch.tensor(inputs64.astype(np_dtype))
        lengths = torch.tensor(LENGTHS)
        with torch.no_grad():
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                                       enforce_sorted=False)
            out, h_n = module(packed)
            packed_outputs, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True,
                                                                 total_length=T)
            padded_outputs, padded_h_n = module(x)
        tensors = state_dict_arrays(module.state_dict(), dtype=np_dtype)
        tensors.update({"inputs": x.numpy(), "lengths": np.asarray(LENGTHS, np.int64),
                        "packed_outputs": packed_outputs.numpy(), "packed_h_n": h_n.numpy(),
                        "padded_outputs": padded_outputs.numpy(),
                        "padded_h_n": padded_h_n.numpy()})
        for v in tensors.values():
            assert v.dtype in (np_dtype, np.int64), v.dtype
        path = os.path.join(OUT, "torch_packed" + suffix + ".safetensors")
        write_safetensors(path, tensors, {
            "source": "pytorch", "module": "nn.GRU(2, 4, bidirectional=True, batch_first=True)",
            "torch": torch.__version__, "dtype": str(np_dtype.__name__)})
        print(os.path.relpath(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
