"""Bar chart of the ratios peer time / ours from run_compare.py's results.json (log scale; above 1
means ours is faster). One panel per thread count, one group of bars per case.

    python plot_ratios.py RESULTS_JSON OUT_PNG
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PEERS = [("ours_eigen", "ours, Eigen alone (no GEMM library)", "#7f7f7f"),
         ("onednn", "oneDNN 2.6", "#1f77b4"), ("tf", "TF 2.15 (tf.function)", "#ff7f0e"),
         ("torch", "PyTorch 1.13 (eager)", "#d62728"), ("ort", "ORT AttnLSTM", "#2ca02c")]


def main(src, dst):
    with open(src) as f:
        res = json.load(f)
    names = list(res["cases"])
    threads = sorted({int(t) for c in res["cases"].values() for t in c["by_threads"]})
    fig, axes = plt.subplots(len(threads), 1, figsize=(13, 4.2 * len(threads)), squeeze=False)
    width = 0.16
    for ax, th in zip(axes[:, 0], threads):
        lo, hi = 1.0, 1.0
        labelled = set()
        for i, name in enumerate(names):
            e = res["cases"][name]["by_threads"].get(str(th), {}).get("peers", {})
            present = [(p, label, color) for p, label, color in PEERS
                       if e.get(p, {}).get("ratio")]
            for j, (peer, label, color) in enumerate(present):
                y = e[peer]["ratio"]
                x = i + (j - (len(present) - 1) / 2) * width
                # Bars grow from 1 up (ours faster) or down (the peer faster).
                ax.bar([x], [y - 1.0], width, bottom=1.0, color=color,
                       label=None if peer in labelled else label)
                labelled.add(peer)
                lo, hi = min(lo, y), max(hi, y)
                ax.text(x, y, f"{y:.2g}", ha="center", va="bottom" if y >= 1 else "top",
                        fontsize=6, rotation=90)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_ylim(lo / 2.5, hi * 4)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("peer time / ours (log)")
        ax.set_title(f"{th} thread{'s' if th > 1 else ''}: above 1 = ours faster", fontsize=10)
        ax.grid(axis="y", which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", ncol=5)
    m = res.get("machine", {})
    fig.suptitle(f"seq2seq vs peers, float32, same weights and shapes ({m.get('cpu', '')}, "
                 f"{m.get('cores', '?')} cores, {m.get('date', '')})", fontsize=11)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print("wrote", dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
