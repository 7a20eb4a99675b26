"""Idiomatic SciPy peer of bench_fit.c: the Chinchilla scaling-law fit on
Hoffmann et al.'s runs (data/chinchilla.csv, D = C / (6 N), the 5 highest
losses dropped: 240 points).

theta = (log A, log B, log E, alpha, beta); log Lhat = logsumexp(log A -
alpha log N, log B - beta log D, log E); Huber (delta 1e-3) on r = log Lhat
- log L, summed over points; the analytic gradient, vectorised over points
in NumPy. The fit: gdlab's 5400-point start grid screened by objective
value (vectorised over grid and points), then
scipy.optimize.minimize(method="L-BFGS-B", jac=True) from the best 100.
The bootstrap: K resamples (numpy.random.default_rng(seed), counts by
bincount as weights), each refit by L-BFGS-B from the full fit's optimum
and from its second optimum (as gdlab), keeping the better. If the
bootstrap passes MAX_SECONDS it stops and the time is scaled to K
(reported: boot_done, boot_scaled).
OpenBLAS is held to one thread (OPENBLAS_NUM_THREADS=1 unless set): with
scipy-openblas's default threads L-BFGS-B's small BLAS calls made each
refit 10x slower here, so one thread is the peer's fastest setting.
Prints one JSON line.
Usage: peer_scipy_fit.py [K [SEED [REPS [MAX_SECONDS [CSV]]]]]   (default 1000 1 2 120 data/chinchilla.csv)"""
import csv
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads OpenBLAS

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber

DELTA = 1e-3
OPTS = {"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000, "maxfun": 100000}


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    N = np.array([float(r["Model Size"]) for r in rows])
    C = np.array([float(r["Training FLOP"]) for r in rows])
    L = np.array([float(r["loss"]) for r in rows])
    keep = np.ones(len(L), bool)
    keep[np.argsort(-L, kind="stable")[:5]] = False  # the 5 highest, ties by file order
    N, C, L = N[keep], C[keep], L[keep]
    return np.log(N), np.log(C / (6 * N)), np.log(L)


def make_objective(lN, lD, lL):
    def f(th, w):
        a, b, e, al, be = th
        u0, u1 = a - al * lN, b - be * lD
        m = np.maximum(np.maximum(u0, u1), e)
        e0, e1, e2 = np.exp(u0 - m), np.exp(u1 - m), np.exp(e - m)
        s = e0 + e1 + e2
        r = m + np.log(s) - lL
        psi = w * np.clip(r, -DELTA, DELTA) / s  # rho'(r) times the softmax denominator
        F = w @ huber(DELTA, r)
        g = np.array([psi @ e0, psi @ e1, psi @ e2, -(psi * e0) @ lN, -(psi * e1) @ lD])
        return F, g

    return f


def grid():
    """gdlab's grid_point order: log A fastest, then log B, log E, alpha, beta."""
    be, al, e, b, a = np.meshgrid(0.5 * np.arange(5), 0.5 * np.arange(5), np.arange(-1, 1.51, 0.5),
                                  5.0 * np.arange(6), 5.0 * np.arange(6), indexing="ij")
    return np.stack([a.ravel(), b.ravel(), e.ravel(), al.ravel(), be.ravel()], axis=1)


def screen_values(G, lN, lD, lL):
    a, b, e, al, be = (G[:, j:j + 1] for j in range(5))
    u0, u1 = a - al * lN, b - be * lD
    m = np.maximum(np.maximum(u0, u1), e)
    r = m + np.log(np.exp(u0 - m) + np.exp(u1 - m) + np.exp(e - m)) - lL
    return huber(DELTA, r).sum(axis=1)


def fit(lN, lD, lL, starts=100):
    f = make_objective(lN, lD, lL)
    w = np.ones_like(lL)
    G = grid()
    F = screen_values(G, lN, lD, lL)
    order = np.argsort(F, kind="stable")[:starts]
    runs = [minimize(f, G[k], args=(w,), jac=True, method="L-BFGS-B", options=OPTS) for k in order]
    vals = np.array([rr.fun if np.isfinite(rr.fun) else np.inf for rr in runs])
    best = int(np.argmin(vals))
    Fb = vals[best]
    at_best = vals <= Fb + 1e-8 * abs(Fb)
    second, second_F = None, None
    if not at_best.all():
        j = int(np.argmin(np.where(at_best, np.inf, vals)))
        second, second_F = runs[j].x, float(vals[j])
    return runs[best], second, second_F, int(at_best.sum()), runs, sorted(int(k) for k in order)


def bootstrap(lN, lD, lL, theta, second, K, seed, max_seconds):
    f = make_objective(lN, lD, lL)
    n = len(lL)
    rng = np.random.default_rng(seed)
    out = []
    t0 = time.perf_counter()
    for k in range(K):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        best = None
        for st in (theta, second):
            if st is None:
                continue
            rr = minimize(f, st, args=(w,), jac=True, method="L-BFGS-B", options=OPTS)
            if np.isfinite(rr.fun) and (best is None or rr.fun < best.fun):
                best = rr
        out.append(best.x if best is not None else np.full(5, np.nan))
        if time.perf_counter() - t0 > max_seconds and k + 1 < K:
            break
    return np.array(out), time.perf_counter() - t0


def main():
    a = sys.argv[1:]
    K = int(a[0]) if len(a) > 0 else 1000
    seed = int(a[1]) if len(a) > 1 else 1
    reps = int(a[2]) if len(a) > 2 else 2
    max_seconds = float(a[3]) if len(a) > 3 else 120.0
    path = a[4] if len(a) > 4 else "data/chinchilla.csv"
    lN, lD, lL = load(path)
    fit_t = 1e300
    for _ in range(reps):
        t0 = time.perf_counter()
        best, second, second_F, at_best, runs, top = fit(lN, lD, lL)
        fit_t = min(fit_t, time.perf_counter() - t0)
    nit = [int(rr.nit) for rr in runs]
    nfev = [int(rr.nfev) for rr in runs]
    boot, bt = bootstrap(lN, lD, lL, best.x, second, K, seed, max_seconds)
    done = len(boot)
    print(json.dumps({
        "n": len(lL), "fit_seconds": fit_t, "objective": float(best.fun),
        "grad_norm": float(np.linalg.norm(best.jac)), "message": str(best.message),
        "starts_at_best": at_best, "theta": best.x.tolist(),
        "second_objective": second_F, "second": None if second is None else second.tolist(),
        "openblas_threads": os.environ["OPENBLAS_NUM_THREADS"],
        "nit_total": sum(nit), "nfev_total": sum(nfev),
        "K": K, "boot_done": done, "boot_scaled": done < K,
        "boot_seconds": bt * K / done, "boot_seconds_measured": bt,
        "median_alpha": float(np.nanmedian(boot[:, 3])), "median_beta": float(np.nanmedian(boot[:, 4])),
        "screen_top": top,
    }))


main()
