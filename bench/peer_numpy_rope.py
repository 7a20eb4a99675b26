"""Idiomatic NumPy peer of bench_rope.c: B(m) = sum_i cos(m theta_i) for
every m < L, vectorised over chunks of m (np.outer, np.cos, sum), the
minimum and where. Prints one JSON line.
Usage: peer_numpy_rope.py D L BASE"""
import json
import sys
import time

import numpy as np


def check(d, L, b, chunk=8192):
    theta = b ** (-2.0 * np.arange(d // 2) / d)
    best, where = np.inf, -1
    for m0 in range(0, L, chunk):
        m = np.arange(m0, min(m0 + chunk, L), dtype=np.float64)
        s = np.cos(np.outer(m, theta)).sum(axis=1)
        k = int(np.argmin(s))
        if s[k] < best:
            best, where = float(s[k]), m0 + k
    return best, where


def main():
    d, L, b = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    best_t = 1e300
    for _ in range(2):
        t0 = time.perf_counter()
        mn, am = check(d, L, b)
        best_t = min(best_t, time.perf_counter() - t0)
    print(json.dumps({"seconds": best_t, "min_sum": mn, "argmin_m": am}))


main()
