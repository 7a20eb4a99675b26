"""Python peer of `gdlab sweep` (bench/run_sweep): the same grid of
learning rates run as an Optuna study in an SQLite storage, one trial per
point, the objective the exact test loss of sgd-1d (the affine moment
recursion of src/linsgd/oned.c, ported operation for operation, so the
values are the same doubles).

The grid: linspace(lo, hi, n) computed as gdlab computes it
(lo + (hi - lo) * i/(n - 1), the last point hi). The points go in with
study.enqueue_trial (the default, --sampler enqueue) or through
optuna.samplers.GridSampler (--sampler grid); either way each point is one
trial, and every trial is written to the storage as it starts and ends.
The time is create_study + enqueue + optimize (the import of optuna is
reported apart). Prints one JSON line: seconds, points, and the value of
every point (by its text, for bench/run_sweep's consistency check).

Usage: peer_sweep.py DB.sqlite N LO HI STEPS TEACHER NOISE [--sampler enqueue|grid]
"""
import argparse
import json
import math
import sys
import time

t_import = time.perf_counter()
import optuna  # noqa: E402

t_import = time.perf_counter() - t_import


def lin1d_loss(eta, T, theta, sigma2):
    """gd_lin1d_loss: v_T = a^T theta^2 + c (a^(T-1) + ... + 1) by binary
    powering of the affine map v -> a v + c, a = 1 - 2 eta + 3 eta^2,
    c = eta^2 sigma2; the loss is (v_T + sigma2) / 2."""
    fa, fc = 1.0 - 2.0 * eta + 3.0 * eta * eta, eta * eta * sigma2
    aa, ac = 1.0, 0.0
    n = float(T)
    while n >= 1.0:
        half = math.floor(n / 2.0)
        if n - 2.0 * half >= 1.0:
            aa, ac = fa * aa, fa * ac + fc
        fa, fc = fa * fa, fa * fc + fc
        n = half
    return 0.5 * (aa * theta * theta + ac + sigma2)


def grid(lo, hi, n):
    return [hi if (i == n - 1 and n > 1) else lo + (hi - lo) * (i / (n - 1) if n > 1 else 0.0) for i in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("n", type=int)
    ap.add_argument("lo", type=float)
    ap.add_argument("hi", type=float)
    ap.add_argument("steps", type=float)
    ap.add_argument("teacher", type=float)
    ap.add_argument("noise", type=float)
    ap.add_argument("--sampler", choices=("enqueue", "grid"), default="enqueue")
    a = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial
    etas = grid(a.lo, a.hi, a.n)

    def objective(trial):
        eta = trial.suggest_float("eta", a.lo, a.hi)
        return lin1d_loss(eta, a.steps, a.teacher, a.noise)

    t0 = time.perf_counter()
    if a.sampler == "grid":
        sampler = optuna.samplers.GridSampler({"eta": etas}, seed=1)
    else:
        sampler = optuna.samplers.RandomSampler(seed=1)  # never asked: every trial is enqueued
    study = optuna.create_study(study_name="sgd-1d", storage="sqlite:///" + a.db, sampler=sampler)
    if a.sampler == "enqueue":
        for eta in etas:
            study.enqueue_trial({"eta": eta})
    study.optimize(objective, n_trials=a.n)  # n_jobs=1: see bench/README.md
    seconds = time.perf_counter() - t0

    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    values = {repr(t.params["eta"]): t.value for t in trials}
    print(json.dumps({"seconds": seconds, "points": a.n, "complete": len(trials), "distinct": len(values),
                      "import_seconds": t_import, "optuna": optuna.__version__,
                      "sqlalchemy": sys.modules["sqlalchemy"].__version__, "sampler": a.sampler,
                      "values": values}))


main()
