"""The peer protocol shared by the Python peers (tf_peer.py, torch_peer.py, ort_peer.py).

A peer is started with its thread count fixed for its lifetime:
    python X_peer.py --threads N --serve          commands on stdin, one JSON object per line
    python X_peer.py --threads N --case F [--out O] [--min-iters K --min-time S --max-iters M]
                                                  one shot: load, check output, time, print

Commands (serve mode) and replies (one line each, prefixed "RESULT " so that anything a library
prints on stdout is ignored by the driver):
    {"cmd": "load", "case": PATH, "out": PATH or null}
        builds the model for the case, calls it once (tracing, first-touch), writes the outputs
        to `out` (.safetensors: outputs [B, T, D], final_h [B, H], final_c [B, H] for LSTM) and
        calls it once more (warm-up). -> {"ok": true, "load_s": ...}
    {"cmd": "time", "min_iters": K, "min_time": S, "max_iters": M}
        calls the model until at least K calls and S seconds, at most M calls. -> {"ok": true,
        "median_ms": ..., "min_ms": ..., "iters": n, "times_ms": [...]}
    {"cmd": "info"} -> {"ok": true, "peer": ..., "versions": {...}, "threads": N, ...}
    {"cmd": "quit"}
The C++ peers (ours_peer, onednn_peer) speak the same protocol (peer_protocol.hpp).
"""
import argparse
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "export"))
from safetensors_io import read_safetensors, write_safetensors  # noqa: E402

INT_META = ("B", "T", "I", "H", "U", "Tm", "Dm", "output_attention", "seed")


def load_case(path):
    tensors, meta = read_safetensors(path)
    meta = dict(meta)
    for k in INT_META:
        meta[k] = int(meta[k])
    meta["forget_bias"] = float(meta["forget_bias"])
    return tensors, meta


def time_calls(fn, min_iters, min_time, max_iters):
    times = []
    start = time.perf_counter()
    while len(times) < max_iters and (len(times) < min_iters or
                                      time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def summary(times):
    s = sorted(times)
    n = len(s)
    med = s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])
    # Every call's time only for short runs: a tutorial-size case makes ~100k calls in 0.5 s.
    out = {"median_ms": med, "min_ms": s[0], "iters": n}
    if n <= 100:
        out["times_ms"] = [round(x, 4) for x in times]
    return out


def reply(obj):
    sys.stdout.write("RESULT " + json.dumps(obj) + "\n")
    sys.stdout.flush()


class Session:
    """Holds the loaded model of a peer. `peer` provides name, versions(), load(tensors, meta) ->
    model with call() (one full forward) and outputs() (dict of numpy arrays from the last call)."""

    def __init__(self, peer, threads):
        self.peer, self.threads, self.model, self.case = peer, threads, None, None

    def load(self, case, out=None):
        t0 = time.perf_counter()
        self.model = None
        tensors, meta = load_case(case)
        model = self.peer.load(tensors, meta)
        model.call()
        if out:
            write_safetensors(out, model.outputs(), {"peer": self.peer.name, "case": meta["name"]})
        model.call()
        self.model, self.case = model, meta["name"]
        return {"ok": True, "peer": self.peer.name, "case": self.case,
                "load_s": round(time.perf_counter() - t0, 3)}

    def time(self, min_iters=3, min_time=0.5, max_iters=200):
        times = time_calls(self.model.call, min_iters, min_time, max_iters)
        return dict({"ok": True, "peer": self.peer.name, "case": self.case,
                     "threads": self.threads}, **summary(times))

    def info(self):
        return {"ok": True, "peer": self.peer.name, "threads": self.threads,
                "versions": self.peer.versions()}


def main(peer_factory):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--case")
    ap.add_argument("--out")
    ap.add_argument("--min-iters", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--max-iters", type=int, default=1000000)
    args = ap.parse_args()
    # Thread environment before any framework is imported (OpenMP, OpenBLAS, MKL pools).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    session = Session(peer_factory(args.threads), args.threads)
    if not args.serve:
        if not args.case:
            ap.error("--case or --serve")
        session.load(args.case, args.out)
        reply(session.time(args.min_iters, args.min_time, args.max_iters))
        return
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            op = cmd.pop("cmd")
            if op == "quit":
                reply({"ok": True})
                break
            if op == "load":
                reply(session.load(cmd["case"], cmd.get("out")))
            elif op == "time":
                reply(session.time(**cmd))
            elif op == "info":
                reply(session.info())
            else:
                reply({"ok": False, "error": f"unknown command {op}"})
        except Exception as e:  # reported to the driver, which stops that peer's case
            traceback.print_exc(file=sys.stderr)
            reply({"ok": False, "error": f"{type(e).__name__}: {e}"})
