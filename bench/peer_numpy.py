#!/usr/bin/env python3
"""NumPy peer of bench/bench_linsgd.c (bench/README.md).

Computes the same two cases the idiomatic NumPy way and prints the same
JSON lines (best of REPS wall-clock, time.perf_counter):

  diag_risk  the sgd-diag second-moment recursion, vectorised over the
             coordinates i, a Python loop over the steps t.
  lin1d_mc   the 1-D online-SGD Monte Carlo, vectorised over the replicas,
             numpy.random.default_rng(seed).standard_normal per step.
  zipf_mc    the Zipf-model online-SGD Monte Carlo, vectorised over the
             replicas: per step Generator.zipf(a + 1, R) for the ranks, two
             standard_normal(R) for x and eps, and the update of w[r, k_r]
             by fancy indexing for the replicas whose rank the model sees.

Each line also carries the process CPU time of the best run
(time.process_time), which compares better than wall time on a loaded
machine.

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
ZIPF = dict(a=1.0, b=2.0, N=100, T=1000, eta=0.1, theta=3.0, sigma2=1.0, R=20_000)


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


def zipf_rank_limit(N, b):
    """Largest K with ceil(K^b) <= N (gd_zipf_rank_limit)."""
    K = math.floor(N ** (1 / b))
    while K > 0 and math.ceil(K ** b) > N:
        K -= 1
    while math.ceil((K + 1) ** b) <= N:
        K += 1
    return K


def zipf_probs(s, K):
    """p_k = k^-s / zeta(s) for k = 1..K and the mass beyond K."""
    try:
        from scipy.special import zeta
        Z = float(zeta(s))
    except ImportError:
        Z = hurwitz_zeta(s, 1.0, n=10_000)
    k = np.arange(1, K + 1, dtype=np.float64)
    p = k ** -s / Z
    return p, 1.0 - p.sum()


def zipf_mc(seed):
    a, b, T, eta, R = ZIPF["a"], ZIPF["b"], ZIPF["T"], ZIPF["eta"], ZIPF["R"]
    theta, s2 = ZIPF["theta"], ZIPF["sigma2"]
    sd, s = math.sqrt(s2), a + 1
    K = zipf_rank_limit(ZIPF["N"], b)
    rng = np.random.default_rng(seed)
    w = np.zeros((R, K + 1))  # column k is the weight of rank k (column 0 unused)
    rows = np.arange(R)
    for _ in range(T):
        k = rng.zipf(s, R)
        x = rng.standard_normal(R)
        y = theta * x + sd * rng.standard_normal(R)
        seen = k <= K
        r, kk, xs, ys = rows[seen], k[seen], x[seen], y[seen]
        w[r, kk] -= eta * (w[r, kk] * xs - ys) * xs
    p, tail = zipf_probs(s, K)
    loss = 0.5 * s2 + 0.5 * theta**2 * tail + 0.5 * ((w[:, 1:] - theta) ** 2) @ p
    return loss.mean(), loss.std(ddof=1) / math.sqrt(R)


def lin1d_exact():
    """E loss_T from v' = (1 - 2 eta + 3 eta^2) v + eta^2 sigma2, v0 = theta^2."""
    eta, s2, T = MC["eta"], MC["sigma2"], MC["T"]
    r = 1 - 2 * eta + 3 * eta**2
    v = r**T * MC["theta"] ** 2 + eta**2 * s2 * (1 - r**T) / (1 - r)
    return 0.5 * (v + s2)


def timed(reps, f, *a):
    times, cpus, out = [], [], None
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        out = f(*a)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(times), [round(t, 6) for t in times], out, round(min(cpus), 6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tail-noise", type=float, default=None)
    ap.add_argument("--seed", type=int, default=20241123)
    args = ap.parse_args()

    tn, src = tail_noise(args)
    best, times, loss, cpu = timed(args.reps, diag_risk, DIAG["sigma2"] + tn)
    print(json.dumps({"case": "diag_risk", "impl": "numpy", "threads": 1,
                      "N": DIAG["N"], "T": DIAG["T"], "seconds": round(best, 6),
                      "cpu_seconds": cpu, "times": times, "loss": float(loss),
                      "tail_noise": tn, "tail_noise_from": src}), flush=True)

    best, times, (loss, se), cpu = timed(args.reps, lin1d_mc, args.seed)
    print(json.dumps({"case": "lin1d_mc", "impl": "numpy", "threads": 1,
                      "R": MC["R"], "T": MC["T"], "seconds": round(best, 6),
                      "cpu_seconds": cpu, "times": times, "loss": float(loss),
                      "loss_se": float(se), "exact": lin1d_exact()}), flush=True)

    best, times, (loss, se), cpu = timed(args.reps, zipf_mc, args.seed)
    print(json.dumps({"case": "zipf_mc", "impl": "numpy", "threads": 1,
                      "R": ZIPF["R"], "T": ZIPF["T"], "seconds": round(best, 6),
                      "cpu_seconds": cpu, "times": times, "loss": float(loss),
                      "loss_se": float(se)}), flush=True)


if __name__ == "__main__":
    main()
