#!/usr/bin/env python3
"""Alternates `churn-bench lstm` with the equivalent PyTorch program and reports medians and ratios.

Both sides run the same B, T, I, H, layers and threads (torch.set_num_threads = --threads),
alternating ours/PyTorch `--rounds` times per configuration (who goes first alternates per round), so
machine noise hits both alike; each ratio line also lists the per-round ratios.
It also measures the sgemm rate of a 1024³ product with the same threads and reports training
GFLOP/s as a fraction of it (train FLOPs = 3 × forward, forward = 2·B·T·4H·(I+H) per layer).

Usage: scripts/bench/compare_pytorch.py [--hidden 64 128 256] [--rounds 5] [--seconds 2] [--threads 2]
(run through scripts/bench/compare_pytorch.sh, which builds and prepares PyTorch first).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(ROOT, ".build", "release", "churn-bench")
TORCH = os.path.join(ROOT, "scripts", "bench", "pytorch_lstm.py")


def rates(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"train_sequences_per_second=([\d.]+) infer_sequences_per_second=([\d.]+)", out)
    if not m:
        sys.exit(f"unexpected output from {cmd[0]}:\n{out}")
    return float(m.group(1)), float(m.group(2))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--input", type=int, default=32)
    p.add_argument("--hidden", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=2)
    p.add_argument("--python", default=sys.executable, help="Python with torch (default: this one)")
    a = p.parse_args()

    gemm = subprocess.run([BENCH, "gemm", "--m", "1024", "--n", "1024", "--k", "1024", "--seconds", "2",
                           "--threads", str(a.threads)], check=True, capture_output=True, text=True).stdout
    peak = float(re.search(r"gemm_gflops=([\d.]+)", gemm).group(1))
    print(f"sgemm 1024x1024x1024, {a.threads} threads: {peak:.1f} GFLOP/s")
    # The machine's multiply-add peak on its widest vectors (one core, times the threads).
    fma = subprocess.run([BENCH, "peak", "--seconds", "1"], check=True, capture_output=True, text=True).stdout
    isa = re.search(r"isa detected=(\S+) kernels=(\S+)", fma)
    fma_peak = float(re.search(r"fma_peak_gflops=([\d.]+)", fma).group(1)) * a.threads
    print(f"instruction set: {isa.group(1)} detected, kernels run on {isa.group(2)}; "
          f"multiply-add peak {fma_peak:.1f} GFLOP/s on {a.threads} thread(s)")
    print(f"{'H':>5} {'side':>6} {'ours':>10} {'pytorch':>10} {'ratio':>7}   (sequences/s, medians of {a.rounds} alternated rounds)")
    for h in a.hidden:
        common = ["--batch", str(a.batch), "--steps", str(a.steps), "--input", str(a.input), "--hidden", str(h),
                  "--layers", str(a.layers), "--seconds", str(a.seconds), "--threads", str(a.threads)]
        ours, theirs = [], []
        for round_ in range(a.rounds):
            # Which side goes first alternates per round, so a slow spell does not always hit one side.
            if round_ % 2 == 0:
                ours.append(rates([BENCH, "lstm"] + common))
                theirs.append(rates([a.python, TORCH] + common))
            else:
                theirs.append(rates([a.python, TORCH] + common))
                ours.append(rates([BENCH, "lstm"] + common))
        for k, side in enumerate(["train", "infer"]):
            o = statistics.median(r[k] for r in ours)
            t = statistics.median(r[k] for r in theirs)
            print(f"{h:>5} {side:>6} {o:>10.1f} {t:>10.1f} {o / t:>6.2f}x   "
                  f"per round ours/pytorch: {' '.join(f'{r[k] / q[k]:.2f}' for r, q in zip(ours, theirs))}")
        forward = 2 * a.batch * a.steps * 4 * h * (a.input + h) + (a.layers - 1) * 2 * a.batch * a.steps * 4 * h * 2 * h
        o_train = statistics.median(r[0] for r in ours)
        t_train = statistics.median(r[0] for r in theirs)
        gf = 3 * forward * o_train / a.batch / 1e9
        tg = 3 * forward * t_train / a.batch / 1e9
        print(f"{h:>5} train GFLOP/s ours {gf:.1f} ({gf / peak:.0%} of sgemm, {gf / fma_peak:.0%} of the FMA peak), "
              f"pytorch {tg:.1f} ({tg / peak:.0%}, {tg / fma_peak:.0%})")
        o_infer = statistics.median(r[1] for r in ours)
        t_infer = statistics.median(r[1] for r in theirs)
        gi, ti = forward * o_infer / a.batch / 1e9, forward * t_infer / a.batch / 1e9
        print(f"{h:>5} infer GFLOP/s ours {gi:.1f} ({gi / fma_peak:.0%} of the FMA peak), pytorch {ti:.1f} ({ti / fma_peak:.0%})")


if __name__ == "__main__":
    main()
