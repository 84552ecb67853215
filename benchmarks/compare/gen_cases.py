"""Writes one .safetensors file per case: inputs, memory and the weights in our TF 1.x layout plus
the same weights converted to every peer's layout, so that all peers compute the same function.

    python gen_cases.py OUT_DIR [CASE ...]        (default: every case in cases.py)

NumPy only. Fixed seed per case. Weights ~ N(0, s^2) with s = min(0.1, 1/sqrt(fan_in)), biases
~ 0.1 N(0, 1), inputs and memory ~ N(0, 1): nothing saturates at any scale.

Tensor names (every array float32):
  inputs [B, T, I], memory [B, Tm, Dm]                                  (memory: attention only)
  tf1/gates/kernel [In+H, 2H] (r, u), tf1/gates/bias, tf1/candidate/kernel [In+H, H],
  tf1/candidate/bias, tf1/candidate_recurrent_bias (gru_ra)              GRU, ours
  tf1/kernel [In+H, 4H] (i, j, f, o), tf1/bias [4H] (forget bias NOT included)      LSTM, ours
  tf1/memory_layer/kernel [Dm, U], tf1/query_layer/kernel [H, U], tf1/attention_v [U]
  keras/kernel [In, G*H], keras/recurrent_kernel [H, G*H], keras/bias   (z, r, h / i, f, c, o)
  torch/weight_ih [G*H, In], torch/weight_hh [G*H, H], torch/bias_ih, torch/bias_hh
                                                                        (r, z, n / i, f, g, o)
  onednn/weights_layer [In, G, H], onednn/weights_iter [H, G, H] (ldigo without l, d),
  onednn/bias [G (+1 for LBR GRU), H]                                   (u, r, o / i, f, c, o)
  onnx/W [1, 4H, In], onnx/R [1, 4H, H], onnx/B [1, 8H] (i, o, f, c), onnx/QW [1, H, U],
  onnx/MW [1, Dm, U], onnx/V [1, U]                                     (AttnLSTM cases)
In = I for a bare layer, I + Dm inside the wrapper (kernel rows are [input ; attention ; h]).
Decode cases: source_ids [B, S] and source_length [B] (int32); the date cases use the trained
model of tests/golden/trained, the NMT cases OUT_DIR/nmt_model.safetensors (written here, see
nmt_model).
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "export"))
from safetensors_io import write_safetensors  # noqa: E402

from cases import BY_NAME, CASES  # noqa: E402

GEN_VERSION = "5"


def _w(rng, rows, cols):
    s = min(0.1, 1.0 / np.sqrt(rows))
    return (s * rng.standard_normal((rows, cols))).astype(np.float32)


def _b(rng, n):
    return (0.1 * rng.standard_normal(n)).astype(np.float32)


def _blocks(m, n):
    """Splits the last axis of m into n equal blocks."""
    return np.split(m, n, axis=-1)


def gru_tensors(c, rng, t):
    In, H = c.cell_input, c.H
    gk, gb = _w(rng, In + H, 2 * H), _b(rng, 2 * H)
    ck, cb = _w(rng, In + H, H), _b(rng, H)
    t.update({"tf1/gates/kernel": gk, "tf1/gates/bias": gb,
              "tf1/candidate/kernel": ck, "tf1/candidate/bias": cb})
    r_k, u_k = _blocks(gk, 2)           # [In+H, H] each
    br, bu = _blocks(gb, 2)
    ra = c.cell == "gru_ra"
    bcr = _b(rng, H) if ra else np.zeros(H, np.float32)
    if ra:
        t["tf1/candidate_recurrent_bias"] = bcr
    x, h = slice(0, In), slice(In, In + H)
    # Keras: z (= our u), r, h.
    t["keras/kernel"] = np.concatenate([u_k[x], r_k[x], ck[x]], 1)
    t["keras/recurrent_kernel"] = np.concatenate([u_k[h], r_k[h], ck[h]], 1)
    if ra:
        zeros = np.zeros(H, np.float32)
        t["keras/bias"] = np.stack([np.concatenate([bu, br, cb]),
                                    np.concatenate([zeros, zeros, bcr])])
    else:
        t["keras/bias"] = np.concatenate([bu, br, cb])
    # oneDNN: u, r, o; LBR adds the 4th bias b_u' (the recurrent candidate bias).
    t["onednn/weights_layer"] = np.stack([u_k[x], r_k[x], ck[x]], 1)
    t["onednn/weights_iter"] = np.stack([u_k[h], r_k[h], ck[h]], 1)
    t["onednn/bias"] = np.stack([bu, br, cb, bcr] if ra else [bu, br, cb])
    if ra:
        # PyTorch: r, z, n; weight [3H, in]; bias_hh holds the recurrent candidate bias.
        t["torch/weight_ih"] = np.concatenate([r_k[x], u_k[x], ck[x]], 1).T
        t["torch/weight_hh"] = np.concatenate([r_k[h], u_k[h], ck[h]], 1).T
        t["torch/bias_ih"] = np.concatenate([br, bu, cb])
        t["torch/bias_hh"] = np.concatenate([np.zeros(2 * H, np.float32), bcr])


def lstm_tensors(c, rng, t):
    In, H = c.cell_input, c.H
    k, b = _w(rng, In + H, 4 * H), _b(rng, 4 * H)
    t.update({"tf1/kernel": k, "tf1/bias": b})
    i, j, f, o = _blocks(k, 4)
    bi, bj, bf, bo = _blocks(b, 4)
    bf = bf + np.float32(c.forget_bias)  # folded for every peer
    x, h = slice(0, In), slice(In, In + H)
    t["keras/kernel"] = np.concatenate([i[x], f[x], j[x], o[x]], 1)
    t["keras/recurrent_kernel"] = np.concatenate([i[h], f[h], j[h], o[h]], 1)
    t["keras/bias"] = np.concatenate([bi, bf, bj, bo])
    t["torch/weight_ih"] = t["keras/kernel"].T
    t["torch/weight_hh"] = t["keras/recurrent_kernel"].T
    t["torch/bias_ih"] = t["keras/bias"]
    t["torch/bias_hh"] = np.zeros(4 * H, np.float32)
    t["onednn/weights_layer"] = np.stack([i[x], f[x], j[x], o[x]], 1)
    t["onednn/weights_iter"] = np.stack([i[h], f[h], j[h], o[h]], 1)
    t["onednn/bias"] = np.stack([bi, bf, bj, bo])
    # ONNX (AttnLSTM): i, o, f, c; W [4H, In] with columns [input ; attention]; B = [Wb, Rb].
    t["onnx/W"] = np.concatenate([i[x], o[x], f[x], j[x]], 1).T[None]
    t["onnx/R"] = np.concatenate([i[h], o[h], f[h], j[h]], 1).T[None]
    t["onnx/B"] = np.concatenate([bi, bo, bf, bj, np.zeros(4 * H, np.float32)])[None]


def case_tensors(c):
    rng = np.random.default_rng(c.seed)
    t = {"inputs": rng.standard_normal((c.B, c.T, c.I)).astype(np.float32)}
    if c.kind == "attention":
        t["memory"] = rng.standard_normal((c.B, c.Tm, c.Dm)).astype(np.float32)
    (lstm_tensors if c.cell == "lstm" else gru_tensors)(c, rng, t)
    if c.kind == "attention":
        t["tf1/memory_layer/kernel"] = _w(rng, c.Dm, c.U)
        t["tf1/query_layer/kernel"] = _w(rng, c.H, c.U)
        t["tf1/attention_v"] = (rng.standard_normal(c.U) / np.sqrt(c.U)).astype(np.float32)
        t["onnx/QW"] = t["tf1/query_layer/kernel"][None]
        t["onnx/MW"] = t["tf1/memory_layer/kernel"][None]
        t["onnx/V"] = t["tf1/attention_v"][None]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in t.items()}


# Decode cases: the trained date model and its held-out strings (cases.py, DecodeCase).
TRAINED = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "golden", "trained"))
DATE_MODEL = os.path.join(TRAINED, "date_attention_model.safetensors")
DATE_HELDOUT = os.path.join(TRAINED, "date_heldout.tsv")


# The NMT decode cases' model: the date model's architecture and TF 1.x names at the sizes of
# bench_decode's synthetic NMT decoder, random weights (_w / _b). The output bias ~ N(0, 2^2) makes
# each step's top classes far apart (ids and beams do not hinge on rounding, so every peer picks
# the same); the end token's bias is -1e4, so no row ever finishes.
NMT = dict(source_vocab=1000, target_vocab=8000, embedding=256, units=512, attention_units=512,
           attention_layer=512, source_length=50, maximum_iterations=50, go=1, eos=2, seed=2000)


def nmt_model(path):
    """Writes the NMT model file (once per generator version)."""
    from safetensors_io import read_safetensors
    if os.path.exists(path):
        try:
            if read_safetensors(path)[1].get("gen_version") == GEN_VERSION:
                return
        except ValueError:
            pass
    n = NMT
    rng = np.random.default_rng(n["seed"])
    E, H, U, A, V = (n[k] for k in ("embedding", "units", "attention_units", "attention_layer",
                                    "target_vocab"))
    att = "decoder/attention_wrapper/"
    t = {"embedding/source": rng.standard_normal((n["source_vocab"], E)).astype(np.float32),
         "embedding/target": rng.standard_normal((V, E)).astype(np.float32),
         "decoder/memory_layer/kernel": _w(rng, H, U),
         att + "bahdanau_attention/query_layer/kernel": _w(rng, H, U),
         att + "bahdanau_attention/attention_v": _b(rng, U),
         att + "bahdanau_attention/attention_g": np.float32(np.sqrt(1.0 / U)).reshape(()),
         att + "bahdanau_attention/attention_b": _b(rng, U),
         att + "attention_layer/kernel": _w(rng, H + H, A),
         "output_projection/kernel": _w(rng, A, V),
         "output_projection/bias": (2.0 * rng.standard_normal(V)).astype(np.float32)}
    t["output_projection/bias"][n["eos"]] = -1e4
    for scope, inputs in (("encoder/gru_cell/", E), (att + "gru_cell/", E + A)):
        t[scope + "gates/kernel"] = _w(rng, inputs + H, 2 * H)
        t[scope + "gates/bias"] = _b(rng, 2 * H)
        t[scope + "candidate/kernel"] = _w(rng, inputs + H, H)
        t[scope + "candidate/bias"] = _b(rng, H)
    import json
    meta = dict(gen_version=GEN_VERSION, task="synthetic NMT-sized decoder (random weights)",
                source_vocab=json.dumps(["<pad>", "<unk>"] +
                                        [f"s{i}" for i in range(2, n["source_vocab"])]),
                target_vocab=json.dumps([f"t{i}" for i in range(V)]), pad_id=0, unk_id=1,
                go_id=n["go"], eos_id=n["eos"], normalize=1, output_attention=1,
                alignment_history=1, cell="gru", mechanism="bahdanau",
                maximum_iterations=n["maximum_iterations"], beam_width=4,
                length_penalty_weight=0.6, coverage_penalty_weight=0.0)
    write_safetensors(path, {k: np.asarray(v, np.float32) for k, v in t.items()},  # 0-d kept
                      {k: str(v) for k, v in meta.items()})


def nmt_decode_tensors(c):
    """B random source strings of NMT["source_length"] ids (none PAD or UNK)."""
    rng = np.random.default_rng(c.seed)
    ids = rng.integers(2, NMT["source_vocab"], (c.B, NMT["source_length"])).astype(np.int32)
    return {"source_ids": ids, "source_length": np.full(c.B, ids.shape[1], np.int32)}


def decode_tensors(c):
    """source_ids [B, S] int32 (PAD past each length, UNK for unknown characters, as the
    training script's encode_sources) and source_length [B] int32 of the first B held-out
    strings; the vocabulary comes from the model file's metadata. NMT cases: nmt_decode_tensors."""
    if c.model == "nmt":
        return nmt_decode_tensors(c)
    import json
    from safetensors_io import read_safetensors
    _, meta = read_safetensors(DATE_MODEL)
    vocab = json.loads(meta["source_vocab"])
    ids_of = {tok: i for i, tok in enumerate(vocab) if len(tok) == 1}
    pad, unk = int(meta["pad_id"]), int(meta["unk_id"])
    with open(DATE_HELDOUT, encoding="utf-8") as f:
        sources = [line.split("\t")[0] for line in f if not line.startswith("#")][:c.B]
    if len(sources) < c.B:
        raise ValueError(f"{c.name}: only {len(sources)} held-out strings")
    width = max(len(s) for s in sources)
    ids = np.full((c.B, width), pad, np.int32)
    for i, s in enumerate(sources):
        ids[i, :len(s)] = [ids_of.get(ch, unk) for ch in s]
    return {"source_ids": ids, "source_length": np.array([len(s) for s in sources], np.int32)}


def decode_metadata(c, width, model):
    # The keys every peer's load_case / CaseMeta expects, plus mode and model.
    return dict(gen_version=GEN_VERSION, name=c.name, kind=c.kind, cell=c.cell, mode=c.mode,
                model=model, B=c.B, T=width, I=0, H=0, U=0, Tm=width, Dm=0,
                output_attention=1, forget_bias=0.0, seed=c.seed)


def metadata(c):
    return dict(gen_version=GEN_VERSION, name=c.name, kind=c.kind, cell=c.cell, B=c.B, T=c.T,
                I=c.I, H=c.H, U=c.U, Tm=c.Tm, Dm=c.Dm, output_attention=int(c.output_attention),
                forget_bias=c.forget_bias, seed=c.seed)


def case_path(out_dir, name):
    return os.path.join(out_dir, name + ".safetensors")


def ensure(out_dir, cases):
    """Writes the cases whose file is missing or from another generator version."""
    from safetensors_io import read_safetensors
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for c in cases:
        path = case_path(out_dir, c.name)
        model = DATE_MODEL
        if c.kind == "decode" and c.model == "nmt":
            model = os.path.join(out_dir, "nmt_model.safetensors")
            nmt_model(model)
        if os.path.exists(path):
            try:
                _, meta = read_safetensors(path)
                if meta.get("gen_version") == GEN_VERSION and meta.get("seed") == str(c.seed):
                    paths[c.name] = path
                    continue
            except ValueError:
                pass
        if c.kind == "decode":
            t = decode_tensors(c)
            write_safetensors(path, t, decode_metadata(c, t["source_ids"].shape[1], model))
        else:
            write_safetensors(path, case_tensors(c), metadata(c))
        paths[c.name] = path
    return paths


def main(argv):
    if not argv:
        sys.exit(__doc__)
    names = argv[1:] or [c.name for c in CASES]
    for name, path in ensure(argv[0], [BY_NAME[n] for n in names]).items():
        print(name, path)


if __name__ == "__main__":
    main(sys.argv[1:])
