"""Driver of the side-by-side comparison (run.sh sets up everything and calls this).

For each thread count, one long-lived server process per peer is started with that thread count
(TF's thread pools can only be set before it starts). For each case:
  1. every peer loads the case and writes its outputs; each is compared with ours: max |a - b|
     and max |a - b| / max(1, |ours|) over outputs, final_h, final_c, final_attention. A peer
     whose relative difference exceeds --tol is reported as a mismatch and not timed.
  2. R rounds; in each round every peer in turn (the order rotates from round to round) times
     the case: calls until at least --min-iters calls and --min-time seconds, and reports the
     median of its calls.
  3. a peer's time is the median over the rounds of those medians; ratio = peer / ours.
Prints a markdown table and writes results.json and results.md to --results-dir.

    python run_compare.py --build DIR [--threads 1,2] [--rounds 5] [--quick]
                          [--cases REGEX ...] [--peers ours,tf,...] [--results-dir DIR]
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cases import CASES  # noqa: E402
import gen_cases  # noqa: E402
from peer_common import read_safetensors  # noqa: E402

# ours: the library as a user builds it by default (the GEMM backend SEQ2SEQ_GEMM=auto picks:
# oneDNN when libdnnl-dev is installed), the reference of checks and ratios. ours_eigen: the same
# source on the Eigen backend alone (the header-only build with no GEMM library), in every case.
# tf_graph: TF in TF1 graph mode (session.run), the decode cases only (tf_graph_peer.py).
PEER_ORDER = ("ours", "ours_eigen", "onednn", "tf", "tf_graph", "torch", "ort")
PEER_LABEL = {"ours": "ours", "ours_eigen": "ours, Eigen alone", "onednn": "oneDNN",
              "tf": "TF 2.15", "tf_graph": "TF 2.15 graph (session.run)", "torch": "PyTorch",
              "ort": "ORT AttnLSTM"}
CELL_LABEL = {"gru": "GRU (TF1: reset before matmul)", "gru_ra": "GRU (reset_after)",
              "lstm": "LSTM", "date_greedy": "date model, greedy",
              "date_beam": "date model, beam 4", "nmt_greedy": "NMT decoder, greedy",
              "nmt_beam": "NMT decoder, beam 4"}
OUTPUT_NAMES = ("outputs", "final_h", "final_c", "final_attention")
# Decode cases: ids must be equal; the float outputs (greedy logits, beam step scores) are
# compared as OUTPUT_NAMES are.
DECODE_EXACT = ("ids",)
DECODE_CLOSE = ("logits", "scores")


class PeerProcess:
    def __init__(self, name, argv, threads, log_path):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        self.name, self.threads = name, threads
        self.log = open(log_path, "a")
        self.proc = subprocess.Popen(argv + ["--threads", str(threads), "--serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, cwd=HERE, env=env, bufsize=1)

    def ask(self, cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.name} exited (code {self.proc.poll()}); "
                                   f"see {self.log.name}")
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])

    def close(self):
        try:
            self.ask({"cmd": "quit"})
        except (RuntimeError, BrokenPipeError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def peer_argv(name, args):
    exe = {"ours": [os.path.join(args.build, "ours_peer")],
           "ours_eigen": [os.path.join(args.build, "ours_eigen_peer")],
           "onednn": [os.path.join(args.build, "onednn_peer")],
           "tf": [args.python, os.path.join(HERE, "tf_peer.py")],
           "tf_graph": [args.python, os.path.join(HERE, "tf_graph_peer.py")],
           "torch": [args.torch_python, os.path.join(HERE, "torch_peer.py")],
           "ort": [args.python, os.path.join(HERE, "ort_peer.py")]}
    return exe[name]


def compare_outputs(ref_path, path):
    ref, _ = read_safetensors(ref_path)
    got, _ = read_safetensors(path)
    worst_abs, worst_rel, compared = 0.0, 0.0, []
    decode = "ids" in ref
    for name in DECODE_EXACT if decode else ():
        if name not in got:
            return {"ok": False, "error": f"{name}: missing"}
        if got[name].shape != ref[name].shape:
            return {"ok": False, "error": f"{name}: shape {got[name].shape} != ours "
                                         f"{ref[name].shape}"}
        differ = int(np.sum(got[name] != ref[name]))
        if differ:
            return {"ok": False, "error": f"{name}: {differ} ids differ from ours"}
        compared.append(name + " (exact)")
    for name in DECODE_CLOSE if decode else OUTPUT_NAMES:
        if name in ref and name in got:
            a, b = got[name].astype(np.float64), ref[name].astype(np.float64)
            if a.shape != b.shape:
                return {"ok": False, "error": f"{name}: shape {a.shape} != ours {b.shape}"}
            if not np.all(np.isfinite(a)):
                return {"ok": False, "error": f"{name}: not finite"}
            d = np.abs(a - b)
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / np.maximum(1.0, np.abs(b))).max()))
            compared.append(name)
    if "outputs" not in compared and not decode:
        return {"ok": False, "error": "no outputs to compare"}
    return {"ok": True, "max_abs": worst_abs, "max_rel": worst_rel, "compared": compared}


HZ = os.sysconf("SC_CLK_TCK")


def busy_ticks():
    """CPU ticks spent busy by the whole machine (all but idle and iowait) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]


def proc_ticks(pid):
    """utime + stime of process `pid`, all its threads."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def wait_quiet(limit, max_wait):
    """Waits until the rest of the machine uses less than `limit` cores (sampled over 1 s), at
    most `max_wait` seconds. Returns the last sample (cores busy)."""
    start, said = time.time(), False
    while True:
        b0 = busy_ticks()
        time.sleep(1.0)
        busy = (busy_ticks() - b0) / HZ
        if busy < limit or time.time() - start > max_wait:
            if said:
                print(f"    ... {busy:.2f} cores busy after {time.time() - start:.0f} s",
                      flush=True)
            return busy
        if not said:
            print(f"    waiting for a quiet machine ({busy:.2f} cores busy elsewhere)",
                  flush=True)
            said = True


def timed_run(proc, cmd, args):
    """One "time" command; retried (after waiting for quiet) while other processes used more
    than --quiet cores during it. Returns the reply with "foreign_cores" added."""
    for attempt in range(args.retries + 1):
        time.sleep(args.pause)  # lets the previous peer's spinning worker threads go to sleep
        b0, p0, t0 = busy_ticks(), proc_ticks(proc.proc.pid), time.time()
        res = proc.ask(cmd)
        wall = time.time() - t0
        foreign = max(0.0, ((busy_ticks() - b0) - (proc_ticks(proc.proc.pid) - p0)) /
                      (HZ * max(wall, 1e-3)))
        res["foreign_cores"] = round(foreign, 3)
        res["attempts"] = attempt + 1
        if not res.get("ok") or foreign <= args.quiet or wall < 0.05:
            return res
        print(f"    {proc.name}: {foreign:.2f} cores used elsewhere during the run: again",
              flush=True)
        wait_quiet(args.quiet, args.max_wait)
    return res


def median(xs):
    return float(np.median(np.asarray(xs, dtype=np.float64)))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def select_cases(args):
    chosen = []
    for c in CASES:
        if args.cases and not any(re.search(p, c.name) for p in args.cases):
            continue
        if args.quick and c.big and not args.cases:
            continue
        chosen.append(c)
    return chosen


def run(args):
    t_start = time.time()
    cases = select_cases(args)
    peers_wanted = [p for p in PEER_ORDER if p in args.peers]
    case_dir = os.path.join(args.build, "cases")
    out_dir = os.path.join(args.build, "outputs")
    log_dir = os.path.join(args.build, "logs")
    for d in (out_dir, log_dir, args.results_dir):
        os.makedirs(d, exist_ok=True)
    print(f"generating {len(cases)} case files in {case_dir} ...", flush=True)
    paths = gen_cases.ensure(case_dir, cases)

    results = {"cases": {}, "versions": {}, "config": {
        "threads": args.threads, "rounds": args.rounds, "big_rounds": args.big_rounds,
        "min_time_s": args.min_time, "min_iters": args.min_iters,
        "big_min_iters": args.big_min_iters, "quiet_cores": args.quiet, "tol": args.tol,
        "quick": args.quick, "argv": sys.argv[1:]}}
    for c in cases:
        results["cases"][c.name] = {
            "kind": c.kind, "cell": c.cell, "shape": c.shape_str(), "flops": c.flops(),
            "output_attention": c.output_attention, "note": c.note, "by_threads": {}}

    for threads in args.threads:
        needed = [p for p in peers_wanted if any(p in c.peers for c in cases)]
        procs = {}
        for p in needed:
            procs[p] = PeerProcess(p, peer_argv(p, args), threads,
                                   os.path.join(log_dir, f"{p}_t{threads}.log"))
        for p, proc in list(procs.items()):
            info = proc.ask({"cmd": "info"})
            if not info.get("ok"):
                print(f"  {p}: cannot start: {info}", flush=True)
                proc.close()
                del procs[p]
                continue
            results["versions"].setdefault(p, info["versions"])
        if "ours" in procs:
            pk = procs["ours"].ask({"cmd": "peak"})
            if pk.get("ok"):
                results.setdefault("peak_gflops", {})[str(threads)] = pk["gflops"]
                print(f"[{threads} thread(s)] sgemm peak of ours' GEMM ([1536]^3): "
                      f"{pk['gflops']:.1f} GFLOP/s", flush=True)
        for c in cases:
            case_peers = [p for p in PEER_ORDER if p in c.peers and p in procs]
            entry = {"peers": {}}
            results["cases"][c.name]["by_threads"][str(threads)] = entry
            print(f"\n[{threads} thread(s)] {c.name}: {c.shape_str()}, "
                  f"{CELL_LABEL[c.cell]}, peers {', '.join(case_peers)}", flush=True)
            # 1. load + agreement check against ours.
            ok_peers = []
            for p in case_peers:
                out = os.path.join(out_dir, f"{c.name}_{p}_t{threads}.safetensors")
                r = procs[p].ask({"cmd": "load", "case": paths[c.name], "out": out})
                pe = entry["peers"][p] = {"load_s": r.get("load_s")}
                if not r.get("ok"):
                    pe["error"] = r.get("error")
                    print(f"  {p:7s} load failed: {r.get('error')}", flush=True)
                    continue
                pe["out"] = out
                ok_peers.append(p)
            if "ours" not in ok_peers:
                print("  ours failed: case skipped", flush=True)
                continue
            timed = ["ours"]
            for p in ok_peers:
                if p == "ours":
                    continue
                chk = compare_outputs(entry["peers"]["ours"]["out"], entry["peers"][p]["out"])
                entry["peers"][p]["check"] = chk
                if chk["ok"] and chk["max_rel"] <= args.tol:
                    timed.append(p)
                    print(f"  {p:7s} agrees with ours: max |diff| {chk['max_abs']:.2e}, "
                          f"relative {chk['max_rel']:.2e} ({', '.join(chk['compared'])})",
                          flush=True)
                else:
                    entry["peers"][p]["mismatch"] = True
                    print(f"  {p:7s} MISMATCH, not timed: {chk}", flush=True)
            # 2. interleaved rounds.
            rounds = args.big_rounds if c.big else args.rounds
            min_iters = args.big_min_iters if c.big else args.min_iters
            per_round = {p: [] for p in timed}
            wait_quiet(args.quiet, args.max_wait)
            for r in range(rounds):
                order = timed[r % len(timed):] + timed[:r % len(timed)]
                for p in order:
                    res = timed_run(procs[p], {"cmd": "time", "min_iters": min_iters,
                                               "min_time": args.min_time,
                                               "max_iters": args.max_iters}, args)
                    if not res.get("ok"):
                        raise RuntimeError(f"{p} {c.name}: {res}")
                    per_round[p].append(res["median_ms"])
                    pe = entry["peers"][p]
                    pe.setdefault("iters", []).append(res["iters"])
                    pe.setdefault("foreign_cores", []).append(res["foreign_cores"])
                    pe.setdefault("attempts", []).append(res["attempts"])
            # 3. medians and ratios.
            ours_ms = median(per_round["ours"])
            for p in timed:
                ms = median(per_round[p])
                pe = entry["peers"][p]
                pe.update(median_ms=ms, rounds_ms=per_round[p], ratio=ms / ours_ms,
                          spread=(max(per_round[p]) - min(per_round[p])) / ms)
                print(f"  {p:7s} {fmt_ms(ms):>10s}  x{ms / ours_ms:6.2f}  "
                      f"(rounds {', '.join(fmt_ms(x) for x in per_round[p])})", flush=True)
        for proc in procs.values():
            proc.close()

    results["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(),
                          "kernel": platform.release(), "python": platform.python_version(),
                          "date": datetime.date.today().isoformat()}
    results["wall_s"] = round(time.time() - t_start, 1)
    table = markdown(results, cases, args.threads)
    print("\n" + table)
    with open(os.path.join(args.results_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.results_dir, "results.md"), "w") as f:
        f.write(table)
    print(f"\nwrote {args.results_dir}/results.json and results.md; "
          f"took {results['wall_s']:.0f} s", flush=True)
    return results


def fmt_ms(ms):
    if ms < 0.1:
        return f"{ms * 1e3:.1f} µs"
    if ms < 10:
        return f"{ms:.3f} ms"
    if ms < 1000:
        return f"{ms:.1f} ms"
    return f"{ms / 1e3:.2f} s"


def markdown(results, cases, threads_list):
    cols = [p for p in PEER_ORDER if p != "ours" and
            any(p in c.peers for c in cases)]
    peaks = results.get("peak_gflops", {})
    head = ["case", "shape", "cell", "thr", "ours", "ours GFLOP/s", "% of peak"] + \
           [f"{PEER_LABEL[p]} (× ours)" for p in cols] + ["max rel. diff"]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * 4 + ["---:"] * (len(head) - 4)) + "|"]
    for c in cases:
        rc = results["cases"][c.name]
        for th in threads_list:
            e = rc["by_threads"].get(str(th))
            if not e or "median_ms" not in e["peers"].get("ours", {}):
                continue
            ours = e["peers"]["ours"]["median_ms"]
            row = [c.name, c.shape_str(), CELL_LABEL[c.cell] +
                   ("" if c.output_attention or c.kind != "attention" else ", cell output"),
                   str(th), fmt_ms(ours),
                   "" if c.flops() is None else f"{c.flops() / (ours * 1e-3) * 1e-9:.1f}",
                   "" if c.flops() is None or str(th) not in peaks else
                   f"{100 * c.flops() / (ours * 1e-3) * 1e-9 / peaks[str(th)]:.0f}"]
            diffs = []
            for p in cols:
                pe = e["peers"].get(p)
                if p not in c.peers:
                    row.append("")
                elif pe is None or "error" in pe:
                    row.append("failed")
                elif pe.get("mismatch"):
                    row.append("mismatch")
                else:
                    row.append(f"{fmt_ms(pe['median_ms'])} ({pe['ratio']:.2f})")
                if pe and "check" in pe and pe["check"].get("ok"):
                    diffs.append(pe["check"]["max_rel"])
            row.append(f"{max(diffs):.1e}" if diffs else "")
            lines.append("| " + " | ".join(row) + " |")
    if peaks:
        lines.append("")
        lines.append("% of peak: ours' GFLOP/s over the GEMM peak of ours' build measured in the "
                     "same run ([1536]^3 products): " +
                     ", ".join(f"{float(v):.1f} GFLOP/s at {k} thread(s)"
                               for k, v in sorted(peaks.items())) + ".")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True, help="build dir with ours_peer and onednn_peer")
    ap.add_argument("--python", default=sys.executable, help="venv Python (TF, ORT)")
    ap.add_argument("--torch-python", default="/usr/bin/python3",
                    help="Python with Debian's torch")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--big-rounds", type=int, default=3, help="rounds for the slow cases (B128, NMT decoding)")
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per timing run")
    ap.add_argument("--min-iters", type=int, default=3)
    ap.add_argument("--big-min-iters", type=int, default=2, help="min calls per run, slow cases")
    ap.add_argument("--quiet", type=float, default=0.25,
                    help="max cores other processes may use during a timed run; a run above "
                         "it is repeated after waiting for a quiet machine")
    ap.add_argument("--retries", type=int, default=3)
    ap.add_argument("--max-wait", type=float, default=600,
                    help="seconds to wait for a quiet machine before timing anyway")
    ap.add_argument("--pause", type=float, default=0.1, help="seconds between timed runs")
    ap.add_argument("--max-iters", type=int, default=1000000)
    ap.add_argument("--tol", type=float, default=1e-4,
                    help="max |a - b| / max(1, |ours|) for agreement")
    ap.add_argument("--quick", action="store_true",
                    help="2 rounds, 0.2 s runs, no B128 cases unless --cases names them")
    ap.add_argument("--cases", nargs="*", default=[], help="regexes of case names")
    ap.add_argument("--peers", default=",".join(PEER_ORDER))
    ap.add_argument("--results-dir")
    args = ap.parse_args()
    args.threads = [int(x) for x in args.threads.split(",")]
    args.peers = args.peers.split(",")
    if "ours" not in args.peers:
        ap.error("--peers must include ours (the reference for checks and ratios)")
    if args.quick:
        args.rounds, args.big_rounds, args.min_time, args.big_min_iters = 2, 1, 0.2, 1
    args.results_dir = args.results_dir or os.path.join(args.build, "results")
    run(args)


if __name__ == "__main__":
    main()
