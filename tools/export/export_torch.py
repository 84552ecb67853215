#!/usr/bin/env python3
"""Exports a PyTorch module's state_dict to a .safetensors file (float32). No TensorFlow.

Every entry is written under its PyTorch state_dict name, including any submodule prefix:

    [rnn.]weight_ih_l{k}[_reverse]  [G*hidden, input_size (layer 0) or hidden*dirs]
    [rnn.]weight_hh_l{k}[_reverse]  [G*hidden, hidden]
    [rnn.]bias_ih_l{k}[_reverse]    [G*hidden]
    [rnn.]bias_hh_l{k}[_reverse]    [G*hidden]
    head.weight [out, in], head.bias [out]            (nn.Linear)

PyTorch layouts (weights are [out, in], i.e. the transpose of TF/Keras kernels):

* nn.GRU, G=3, gate rows r (reset), z (update), n (new):
    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h
  (i.e. "reset after", like Keras reset_after=True, but gate order r,z,n instead of z,r,h).
* nn.LSTM, G=4, gate rows i, f, g, o; c' = f*c + i*g, h' = o*tanh(c').
* Multi-layer: layer k>0 takes the previous layer's output (both directions concatenated,
  forward first) as input. Bidirectional: "_reverse" weights run over the reversed sequence.
  h_n / c_n are [num_layers*dirs, B, hidden], index = layer*dirs + direction.

Library use:   export_torch(module, path, metadata)
CLI:           python3 export_torch.py STATE_DICT.pt OUT.safetensors [--meta key=value ...]
               (the .pt file holds a torch.save'd state_dict, or a whole module)
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402,F401


def state_dict_arrays(state_dict, dtype=np.float32):
    out = {}
    for name, t in state_dict.items():
        if not hasattr(t, "detach"):
            continue
        value = t.detach().cpu().numpy()
        if np.issubdtype(value.dtype, np.floating):  # e.g. BatchNorm counters stay integer
            value = value.astype(dtype)
        out[name] = np.ascontiguousarray(value)
    return out


def export_torch(module_or_state_dict, path, metadata=None, extra_tensors=None):
    """Writes `module.state_dict()` (or a state_dict) under its PyTorch names as float32."""
    import torch
    sd = module_or_state_dict
    if hasattr(sd, "state_dict") and callable(sd.state_dict):
        sd = sd.state_dict()
    tensors = state_dict_arrays(sd)
    for k, v in (extra_tensors or {}).items():
        if k in tensors:
            raise ValueError(f"extra tensor {k!r} clashes with a state_dict name")
        tensors[k] = np.ascontiguousarray(v)
    meta = {"source": "pytorch", "exporter": "tools/export/export_torch.py",
            "torch": torch.__version__}
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    write_safetensors(path, tensors, meta)
    return tensors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("state_dict", help="file written by torch.save(module.state_dict(), ...)")
    ap.add_argument("out", help="output .safetensors")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args(argv)

    import torch
    obj = torch.load(args.state_dict, map_location="cpu")
    meta = {"state_dict_file": os.path.basename(args.state_dict)}
    for kv in args.meta:
        k, _, v = kv.partition("=")
        meta[k] = v
    tensors = export_torch(obj, args.out, meta)
    for k, v in tensors.items():
        print(f"{k}\t{v.dtype}\t{list(v.shape)}")


if __name__ == "__main__":
    main()
