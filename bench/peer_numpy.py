#!/usr/bin/env python3
"""NumPy peer of bench/bench_linsgd.c (bench/README.md).

Computes the same two cases the idiomatic NumPy way and prints the same
JSON lines (best of REPS wall-clock, time.perf_counter):

  diag_risk  the sgd-diag second-moment recursion, vectorised over the
             coordinates i, a Python loop over the steps t.
  lin1d_mc   the 1-D online-SGD Monte Carlo, vectorised over the replicas,
             numpy.random.default_rng(seed).standard_normal per step.

Usage: peer_numpy.py [--reps 3] [--tail-noise X] [--seed S]

The diagonal model's tail noise zeta(p + 2q, N + 1) comes from
scipy.special.zeta when SciPy is installed; otherwise from --tail-noise
(bench/run passes the value gdlab printed), and failing both from the
Euler-Maclaurin sum below.
"""
import argparse
import json
import math
import time

import numpy as np

DIAG = dict(N=10_000, T=100_000, p=1.5, q=0.5, sigma2=0.01, batch=1, eta=0.2)
MC = dict(R=1_000_000, T=100, eta=0.1, theta=3.0, sigma2=1.0)


def hurwitz_zeta(s, a, n=20):
    """zeta(s, a) = sum_{k>=0} (k + a)^-s by direct sum of n terms plus the
    Euler-Maclaurin tail (integral, half term, two Bernoulli corrections);
    for a ~ 1e4 the omitted term is far below double rounding."""
    head = sum((k + a) ** -s for k in range(n))
    b = a + n
    tail = b ** (1 - s) / (s - 1) + 0.5 * b ** -s + s * b ** (-s - 1) / 12
    tail -= s * (s + 1) * (s + 2) * b ** (-s - 3) / 720
    return head + tail


def tail_noise(args):
    s, a = DIAG["p"] + 2 * DIAG["q"], DIAG["N"] + 1.0
    try:
        from scipy.special import zeta
        return float(zeta(s, a)), "scipy"
    except ImportError:
        pass
    if args.tail_noise is not None:
        return args.tail_noise, "argument"
    return hurwitz_zeta(s, a), "euler-maclaurin"


def diag_risk(s2eff):
    N, T, b, eta = DIAG["N"], DIAG["T"], DIAG["batch"], DIAG["eta"]
    i = np.arange(1, N + 1, dtype=np.float64)
    lam = i ** -DIAG["p"]
    D = i ** (-2 * DIAG["q"])  # (w*_i)^2, w0 = 0
    A = 1 - 2 * eta * lam + eta**2 * lam**2 * (1 + 1 / b)
    ke = eta**2 / b
    tr = lam @ D
    for _ in range(T):
        D = A * D + (ke * (tr + s2eff)) * lam
        tr = lam @ D
    return 0.5 * (tr + s2eff)


def lin1d_mc(seed):
    R, T, eta = MC["R"], MC["T"], MC["eta"]
    theta, sd = MC["theta"], math.sqrt(MC["sigma2"])
    rng = np.random.default_rng(seed)
    w = np.zeros(R)
    for _ in range(T):
        x = rng.standard_normal(R)
        y = theta * x + sd * rng.standard_normal(R)
        w -= eta * (w * x - y) * x
    loss = 0.5 * ((w - theta) ** 2 + MC["sigma2"])
    return loss.mean(), loss.std(ddof=1) / math.sqrt(R)


def lin1d_exact():
    """E loss_T from v' = (1 - 2 eta + 3 eta^2) v + eta^2 sigma2, v0 = theta^2."""
    eta, s2, T = MC["eta"], MC["sigma2"], MC["T"]
    r = 1 - 2 * eta + 3 * eta**2
    v = r**T * MC["theta"] ** 2 + eta**2 * s2 * (1 - r**T) / (1 - r)
    return 0.5 * (v + s2)


def timed(reps, f, *a):
    times, out = [], None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = f(*a)
        times.append(time.perf_counter() - t0)
    return min(times), [round(t, 6) for t in times], out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tail-noise", type=float, default=None)
    ap.add_argument("--seed", type=int, default=20241123)
    args = ap.parse_args()

    tn, src = tail_noise(args)
    best, times, loss = timed(args.reps, diag_risk, DIAG["sigma2"] + tn)
    print(json.dumps({"case": "diag_risk", "impl": "numpy", "threads": 1,
                      "N": DIAG["N"], "T": DIAG["T"], "seconds": round(best, 6),
                      "times": times, "loss": float(loss), "tail_noise": tn,
                      "tail_noise_from": src}), flush=True)

    best, times, (loss, se) = timed(args.reps, lin1d_mc, args.seed)
    print(json.dumps({"case": "lin1d_mc", "impl": "numpy", "threads": 1,
                      "R": MC["R"], "T": MC["T"], "seconds": round(best, 6),
                      "times": times, "loss": float(loss), "loss_se": float(se),
                      "exact": lin1d_exact()}), flush=True)


if __name__ == "__main__":
    main()
