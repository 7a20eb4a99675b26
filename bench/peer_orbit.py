#!/usr/bin/env python3
"""Peer of bench/bench_orbit.c: the orbit diagram of GD on
f = 1/2 (1 - x y)^2 for NETA learning rates in [0.5, 2.0], STEPS steps
each from (0.45, 0.55), the last K iterates kept, in idiomatic vectorised
NumPy (arrays over the learning rates, a Python loop over steps) and in
JAX (jit, vmap over learning rates, lax.scan over steps, float64).

The update is written x + eta (r y), y + eta (r x), r = 1 - x y: the same
float64 operations in the same order as gdlab's (IEEE arithmetic gives the
same bits unless a compiler contracts to FMA). One JSON line per
implementation with the best of --reps wall-clock times (JAX: compile time
excluded and reported separately); --out PREFIX writes PREFIX_numpy.bin and
PREFIX_jax.bin (x then y, each (NETA, K) float64) for bench/run_orbit.

Usage: peer_orbit.py [--neta N] [--steps T] [--k K] [--reps R] [--impl numpy,jax] [--out PREFIX]"""
import argparse
import json
import time

import numpy as np

ETA_LO, ETA_HI, X0, Y0, MU = 0.5, 2.0, 0.45, 0.55, 1.0


def numpy_diagram(eta, steps, K):
    x = np.full_like(eta, X0)
    y = np.full_like(eta, Y0)
    xs = np.empty((K, eta.size))
    ys = np.empty((K, eta.size))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps - K):
            r = MU - x * y
            x, y = x + eta * (r * y), y + eta * (r * x)
        for k in range(K):
            r = MU - x * y
            x, y = x + eta * (r * y), y + eta * (r * x)
            xs[k] = x
            ys[k] = y
    return xs.T.copy(), ys.T.copy()


def make_jax(steps, K):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    def one(eta):
        def step(c, _):
            x, y = c
            r = MU - x * y
            n = (x + eta * (r * y), y + eta * (r * x))
            return n, None

        def keep(c, _):
            n, _ = step(c, None)
            return n, n

        c, _ = lax.scan(step, (jnp.float64(X0), jnp.float64(Y0)), None, length=steps - K)
        _, (xs, ys) = lax.scan(keep, c, None, length=K)
        return xs, ys

    return jax.jit(jax.vmap(one)), jnp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neta", type=int, default=4096)
    ap.add_argument("--steps", type=int, default=100000)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--impl", default="numpy,jax")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    eta = np.linspace(ETA_LO, ETA_HI, a.neta)
    for impl in a.impl.split(","):
        times, extra = [], {}
        if impl == "numpy":
            for _ in range(a.reps):
                t0 = time.perf_counter()
                xs, ys = numpy_diagram(eta, a.steps, a.k)
                times.append(time.perf_counter() - t0)
            extra["numpy"] = np.__version__
        elif impl == "jax":
            f, jnp = make_jax(a.steps, a.k)
            import jax
            e = jnp.asarray(eta)
            t0 = time.perf_counter()
            xs, ys = f(e)
            xs.block_until_ready()
            extra["first_call_seconds"] = time.perf_counter() - t0
            for _ in range(a.reps):
                t0 = time.perf_counter()
                xs, ys = f(e)
                xs.block_until_ready()
                times.append(time.perf_counter() - t0)
            xs, ys = np.asarray(xs), np.asarray(ys)
            extra["jax"] = jax.__version__
            extra["devices"] = str(jax.devices())
        else:
            raise SystemExit("peer_orbit.py: unknown --impl %s" % impl)
        if a.out:
            with open("%s_%s.bin" % (a.out, impl), "wb") as fh:
                fh.write(np.ascontiguousarray(xs, dtype=np.float64).tobytes())
                fh.write(np.ascontiguousarray(ys, dtype=np.float64).tobytes())
        div = int(np.sum(~(np.isfinite(xs).all(1) & (np.abs(xs).max(1, initial=0) <= 1e8))))
        print(json.dumps(dict({"case": "orbit_diagram", "impl": impl, "neta": a.neta, "steps": a.steps, "K": a.k,
                               "seconds": min(times), "all": times, "diverged": div}, **extra)), flush=True)


if __name__ == "__main__":
    main()
