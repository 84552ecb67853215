"""The comparison cases: shapes, which function each computes and which peers run it.

Shared by gen_cases.py (weights and inputs), run_compare.py (the driver) and the Python peers
(numpy only; no framework is imported here).

kind   "rnn":       one recurrent layer over all T steps (TF: dynamic_rnn / keras RNN layer),
                    no sequence lengths, zero initial state.
       "attention": AttentionWrapper(cell, BahdanauAttention) under dynamic_rnn: memory [B, Tm, Dm]
                    is a separate random tensor, every length full, normalize off, softmax,
                    attention_layer_size none, alignment_history off.
cell   "gru":       TF 1.x GRUCell (reset gate applied to h before the candidate matmul) =
                    oneDNN vanilla GRU = Keras GRU(reset_after=False). PyTorch has no such GRU.
       "gru_ra":    reset-after GRU: ours GRUCell(reset_after=true) = PyTorch nn.GRU / GRUCell =
                    oneDNN LBR GRU = Keras GRU(reset_after=True).
       "lstm":      TF 1.x LSTMCell with forget_bias 1.0 (ours); every peer gets the forget bias
                    folded into its f-gate bias (Keras, PyTorch, oneDNN, ONNX have no run-time
                    forget bias).
output_attention   True: the wrapper emits the attention (TF's default). False: it emits the
                   cell output h; this is what ONNX Runtime's AttnLSTM returns (its Y is the
                   LSTM's h), so the AttnLSTM rows use it.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    name: str
    kind: str                  # "rnn" | "attention"
    cell: str                  # "gru" | "gru_ra" | "lstm"
    B: int
    T: int
    I: int
    H: int
    peers: tuple
    U: int = 0                 # Bahdanau units
    Tm: int = 0                # memory time
    Dm: int = 0                # memory depth
    output_attention: bool = True
    forget_bias: float = 1.0   # LSTM only (ours); folded into the peers' biases
    big: bool = False          # slow case: fewer rounds, left out by --quick
    seed: int = 0
    note: str = ""

    @property
    def gates(self):
        return 4 if self.cell == "lstm" else 3

    @property
    def cell_input(self):
        """Width of the cell's input: I, plus the attention (Dm) fed back inside the wrapper."""
        return self.I + (self.Dm if self.kind == "attention" else 0)

    @property
    def out_depth(self):
        if self.kind == "attention" and self.output_attention:
            return self.Dm
        return self.H

    def flops(self):
        """Multiply-adds x2 of every GEMM/GEMV per call (BENCHMARKS.md's rule), summed over T."""
        In, H, B = self.cell_input, self.H, self.B
        step = 2 * B * (In + H) * self.gates * H
        if self.kind == "attention":
            step += 2 * B * H * self.U + 2 * B * self.Tm * self.U + 2 * B * self.Tm * self.Dm
        total = step * self.T
        if self.kind == "attention":  # the keys GEMM (memory x memory_layer), once per call
            total += 2 * B * self.Tm * self.Dm * self.U
        return total

    def shape_str(self):
        s = f"B{self.B} T{self.T} I{self.I} H{self.H}"
        if self.kind == "attention":
            s += f" U{self.U} mem {self.Tm}x{self.Dm}"
        return s


# ours_eigen: the library on the Eigen backend alone (ours_eigen_peer), in every case.
RNN_PEERS = {
    "gru": ("ours", "ours_eigen", "onednn", "tf"),
    "gru_ra": ("ours", "ours_eigen", "onednn", "tf", "torch"),
    "lstm": ("ours", "ours_eigen", "onednn", "tf", "torch"),
}

_SCALES = [
    # name suffix, B, T, I, H, big
    ("b1", 1, 50, 256, 512, False),
    ("b64", 64, 50, 256, 512, False),
    ("b128", 128, 100, 512, 1024, True),
]


def _all_cases():
    cases, seed = [], 1000
    for cell in ("gru", "gru_ra", "lstm"):
        for suffix, B, T, I, H, big in _SCALES:
            seed += 1
            cases.append(Case(f"{cell}_{suffix}", "rnn", cell, B, T, I, H, RNN_PEERS[cell],
                              big=big, seed=seed))
    tut = dict(B=3, T=5, I=3, H=6, U=4, Tm=5, Dm=3)
    nmt = dict(B=64, T=50, I=256, H=512, U=512, Tm=50, Dm=512)
    for scale, dims in (("tutorial", tut), ("nmt", nmt)):
        for cell in ("gru_ra", "lstm"):
            seed += 1
            name = "attn_{}_{}".format("gru" if cell == "gru_ra" else cell, scale)
            cases.append(Case(name, "attention", cell,
                              peers=("ours", "ours_eigen", "tf", "torch"), seed=seed, **dims))
        seed += 1
        cases.append(Case(f"attn_lstm_{scale}_cellout", "attention", "lstm",
                          peers=("ours", "ours_eigen", "ort"), output_attention=False, seed=seed,
                          note="output_attention=False: AttnLSTM's Y is the LSTM output h",
                          **dims))
    return cases


# Decoding (kind "decode"), from source ids to output ids, the encoder included. model "date":
# the trained date model of tests/golden/trained (char-level GRU(48) encoder,
# AttentionWrapper(GRU(48), Bahdanau(32, normalize), attention layer 48) decoder, Dense(13)) on
# the first B held-out strings of date_heldout.tsv, maximum_iterations 12. model "nmt": the same
# architecture at the NMT sizes of bench_decode's synthetic decoder (gen_cases.py writes its
# model file with random weights: embeddings 256, encoder and decoder GRU 512, Bahdanau 512,
# attention layer 512, 8000 target classes, end token never chosen, so every call runs
# maximum_iterations = 50 steps) on B random source strings of 50 ids. mode "greedy":
# BasicDecoder + GreedyEmbeddingHelper; "beam": BeamSearchDecoder width 4, length penalty 0.6
# (the model file's settings). The case file holds only source_ids / source_length and the
# model's path (gen_cases.py). The agreement check compares the ids exactly, logits (greedy) and
# step scores (beam) within --tol. No FLOP count here (the steps run are known only after
# decoding): bench_decode has it.
@dataclass(frozen=True)
class DecodeCase:
    name: str
    mode: str                  # "greedy" | "beam"
    B: int
    model: str = "date"        # "date" | "nmt"
    peers: tuple = ("ours", "tf", "tf_graph")
    kind: str = "decode"
    big: bool = False
    seed: int = 0
    note: str = ""
    output_attention: bool = True

    @property
    def cell(self):
        return self.model + "_" + self.mode

    def flops(self):
        return None

    def shape_str(self):
        what = "date model" if self.model == "date" else "NMT decoder"
        return f"{what} B{self.B}" + (" K4" if self.mode == "beam" else "")


def _decode_cases():
    date = [DecodeCase(f"date_{mode}_b{B}", mode, B)
            for B in (1, 64, 500) for mode in ("greedy", "beam")]
    return date + [DecodeCase(f"nmt_{mode}_b64", mode, 64, model="nmt", big=True, seed=2000)
                   for mode in ("greedy", "beam")]


CASES = _all_cases() + _decode_cases()
BY_NAME = {c.name: c for c in CASES}
