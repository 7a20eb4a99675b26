"""gdlab from Python: the experiments of libgdlab, run in-process.

    >>> import gdlab
    >>> r = gdlab.run("sgd-1d", eta=0.1, steps=100)
    >>> r["scalars"]["loss_exact"]["value"]
    0.5294118008613438
    >>> r["series"]["curve"]["loss_exact"]        # a numpy array, one value per row

A thin binding (ctypes) over the library's public API (include/gdlab/api.h,
result.h, io.h): the numbers are those of `gdlab run NAME --param value`
with the same seed, bit for bit, for any number of threads.

    run(name, *, seed=1, threads=None, out=None, **params) -> dict
    list()          -> {name: summary}, in the order of `gdlab list`
    params(name)    -> [{name, keyword, kind, default, min, max, ...}]
    help(name)      prints the parameters, as `gdlab help NAME` does

Errors are exceptions carrying the library's message: ParameterError (a
ValueError: an unknown experiment or parameter, a value of the wrong type or
out of range, input an experiment refuses), FileError (an OSError: a file
that could not be read or written), RunError (a RuntimeError: the run
failed); all three are GdlabError. A run whose loss diverges is not an
error: it is a result with r["status"] == "diverged" and the reason in
r["status_detail"], as the command exits 0 for it.

The library is found through GDLAB_LIBRARY, else the source tree's build/,
else the installed libgdlab (see gdlab._lib). A run holds the calling thread
until it ends (Ctrl-C is seen only after it); runs in several Python threads
proceed in parallel (the library keeps no global state), except that the
plots of out= are drawn one at a time (PLplot's state is global).
"""

import builtins
import copy
import ctypes
import functools
import json
import numbers
import os
import sys
import threading

import numpy as np

from . import _lib
from ._lib import lib

__version__ = "0.1.0"  # GD_VERSION; the tests check it against the library's

# `list` and `help` are left out of `import *`: they would hide the builtins.
__all__ = ["run", "params", "GdlabError", "ParameterError", "FileError", "RunError"]

# gd_status (include/gdlab/core.h)
_GD_OK, _GD_EINVAL, _GD_EIO = 0, 1, 2

# The seed range of the command's --seed (every integer a double holds
# exactly, so that any reader of summary.json gets the seed back).
_SEED_MAX = 2 ** 53

# PLplot keeps global state: one out= directory is drawn at a time.
_plot_lock = threading.Lock()


class GdlabError(Exception):
    """An error reported by libgdlab.

    Attributes: message (the library's text, also str(e)), status (the
    library's status name, e.g. "invalid input"), experiment (the
    experiment's name, or None)."""

    message = ""
    status = None
    experiment = None


class ParameterError(GdlabError, ValueError):
    """Bad input: an unknown experiment or parameter, a value of the wrong
    type or out of its range, or a combination the experiment refuses
    (the command's exit code 2)."""


class FileError(GdlabError, OSError):
    """A file the run needed could not be read, or out= could not be
    written."""


class RunError(GdlabError, RuntimeError):
    """The run failed: out of memory, a numerical routine that failed, an
    internal error (the command's exit code 3)."""


def _error(cls, message, status=None, experiment=None):
    e = cls(message)
    e.message, e.status, e.experiment = message, status, experiment
    return e


def _ctx_error(ctx, st, experiment):
    """The exception for status st, with ctx's message."""
    msg = lib.gd_api_ctx_error(ctx).decode("utf-8", errors="replace")
    status = lib.gd_status_name(st).decode()
    cls = ParameterError if st == _GD_EINVAL else FileError if st == _GD_EIO else RunError
    return _error(cls, msg or status, status, experiment)


# ---- parameters -------------------------------------------------------------

def _scalar_text(key, v):
    """A parameter value as the command line would give it."""
    if isinstance(v, str):
        return v
    if isinstance(v, os.PathLike):
        return os.fsdecode(v)
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        # repr is the shortest text that reads back to the same double:
        # the library's strtod gets exactly v ('inf' for infinity; NaN and
        # -inf are refused by the library with its message).
        return repr(float(v))
    raise TypeError(f"gdlab: {key}: expected a number, a string or a list of them, "
                    f"got {type(v).__name__}")


def _text(key, v):
    """A value, lists and 1-D arrays joined with commas ("1,2,4")."""
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            raise TypeError(f"gdlab: {key}: expected a 1-D array, got {v.ndim} dimensions")
        v = v.tolist()
    if isinstance(v, (builtins.list, tuple)):
        return ",".join(_scalar_text(key, x) for x in v)
    return _scalar_text(key, v)


def _schema_name(keyword):
    """The schema's (command line's) name of a keyword: eta_max -> eta-max.
    A name given with hyphens (**{"eta-max": 0.3}) is kept as it is."""
    return keyword.replace("_", "-")


def _whole(key, v, lo, hi):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
        raise TypeError(f"gdlab: {key}: expected a whole number, got {type(v).__name__}")
    v = int(v)
    if not lo <= v <= hi:
        raise _error(ParameterError, f"{key}: expected a whole number in [{lo}, {hi}], got {v}",
                     "invalid input")
    return v


# ---- results ----------------------------------------------------------------

def _series(r):
    """{series name: {column name: 1-D float64 array}}, copied from r."""
    out = {}
    for i in range(lib.gd_result_series_count(r)):
        s = lib.gd_result_series_at(r, i)
        ncols, nrows = lib.gd_series_ncols(s), lib.gd_series_nrows(s)
        cols = [lib.gd_series_col_name(s, j).decode() for j in range(ncols)]
        if nrows:
            table = np.ctypeslib.as_array(lib.gd_series_data(s), shape=(nrows, ncols))
            out[lib.gd_series_name(s).decode()] = {c: np.array(table[:, j]) for j, c in enumerate(cols)}
        else:
            out[lib.gd_series_name(s).decode()] = {c: np.empty(0) for c in cols}
    return out


def _scalars(r):
    """{name: {"value": float, "se": float}}: as computed (inf and nan kept;
    se is nan for an exact value)."""
    return {lib.gd_result_scalar_name(r, i).decode(): {"value": lib.gd_result_scalar_value(r, i),
                                                      "se": lib.gd_result_scalar_se(r, i)}
            for i in range(lib.gd_result_scalar_count(r))}


def run(name, /, *, seed=1, threads=None, out=None, **params):
    """Runs experiment `name`, as `gdlab run NAME --param value ...` does.

    params: the experiment's parameters (see gdlab.params(name) or
        gdlab.help(name)), the others at their defaults. A keyword's
        underscores stand for the command line's hyphens (eta_max is
        --eta-max). Values: numbers (passed exactly), strings ("opt",
        "inf", an expression), True/False (1/0), lists, tuples or 1-D arrays
        (joined with commas: a_grid=[0.5, 1, 2] is --a-grid 0.5,1,2), or
        None (the default). They are checked by the library, which names
        the parameter and what it expected in a ParameterError.
    seed: master seed of every random stream, 0 to 2**53 (default 1, as
        the command).
    threads: OpenMP threads, 1 to 1024; None (default) uses every
        processor, as the command does. The numbers do not depend on it.
    out: a directory; if given, the run is also written there as the
        command writes it (summary.json, one CSV per series, PNG and SVG
        plots), after the run succeeded.

    Returns the summary (the object of summary.json) as a dict:
        "experiment", "version", "seed" (int), "params" ({name: value} as
        used, defaults included: numbers, "inf", strings),
        "status" ("ok", "diverged", "failed"), "status_detail" (str or
        None), "notes" ([str]), "claims" ([{"id", "source", "statement",
        "predicted", "measured", "verdict", "evidence"}], verdict
        "confirmed", "refuted" or "inconclusive"), "plots" (file names, as
        written under out=), "elapsed_s", and, unlike summary.json:
        "scalars": {name: {"value": float, "se": float}}, with infinities
            and NaN as computed (summary.json writes them as null) and se
            NaN for an exact value;
        "series": {series name: {column name: numpy float64 1-D array}},
            the columns in their CSV order, all of one series the same
            length (copies, independent of the library's memory).

    Raises ParameterError, FileError or RunError (all GdlabError) with the
    library's message; TypeError for a value of a type that has no text.
    """
    seed = _whole("seed", seed, 0, _SEED_MAX)
    if threads is not None:
        threads = _whole("threads", threads, 1, 1024)
    names, values = [], []
    for key, v in params.items():
        if v is None:
            continue
        names.append(_schema_name(key).encode())
        values.append(_text(key, v).encode())
    ctx = lib.gd_api_ctx_new()
    if not ctx:
        raise MemoryError("gdlab: out of memory")
    r = ctypes.c_void_p()
    try:
        lib.gd_api_ctx_set_seed(ctx, seed)
        if threads is not None:
            st = lib.gd_api_ctx_set_threads(ctx, threads)
            if st != _GD_OK:
                raise _ctx_error(ctx, st, name)
        n = len(names)
        st = lib.gd_api_run(ctx, name.encode(), n, (ctypes.c_char_p * n)(*names),
                            (ctypes.c_char_p * n)(*values), ctypes.byref(r))
        if st != _GD_OK:
            raise _ctx_error(ctx, st, name)
        if out is not None:
            with _plot_lock:
                st = lib.gd_io_write_result(ctx, r, os.fsencode(out))
            if st != _GD_OK:
                raise _ctx_error(ctx, st, name)
        summary = json.loads(_lib.take_string(lib.gd_io_summary_json(r)))
        summary["scalars"] = _scalars(r)
        summary["series"] = _series(r)
        return summary
    finally:
        lib.gd_result_free(r)
        lib.gd_api_ctx_free(ctx)


# ---- the registry -----------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _registry():
    """{name: the registry entry (gd_api_registry_json)}, in list order."""
    entries = json.loads(_lib.take_string(lib.gd_api_registry_json()))
    return {e["name"]: e for e in entries}


def _entry(name):
    reg = _registry()
    if name not in reg:
        raise _error(ParameterError, f"unknown experiment '{name}'", "invalid input", name)
    return reg[name]


def params(name):
    """The parameter schema of experiment `name`, one dict per parameter in
    the schema's order:
        "name" (as on the command line, "eta-max"), "keyword" (for run():
        "eta_max"), "kind" ("real", "int" or "string"), "default" (text),
        "min", "max" (floats, None for strings), "min_open" (min excluded),
        "inf", "opt" (whether "inf", "opt" are accepted), "help".
    Raises ParameterError for an unknown experiment."""
    out = []
    for p in _entry(name)["params"]:
        p = copy.deepcopy(p)
        p["keyword"] = p["name"].replace("-", "_")
        for k in ("min", "max"):
            if p[k] is not None:
                p[k] = float(p[k])  # also "inf" / "-inf"
        out.append(p)
    return out


def list():  # noqa: A001 (the module's list, as `gdlab list`)
    """{name: one-line summary} of every experiment, in the order of
    `gdlab list`."""
    return {name: e["summary"] for name, e in _registry().items()}


def help(name, file=None):  # noqa: A001
    """Prints experiment `name`'s summary, source and parameters (keyword,
    meaning, default, range), as `gdlab help NAME` does, to file (default
    sys.stdout). Raises ParameterError for an unknown experiment."""
    e = _entry(name)
    f = file if file is not None else sys.stdout
    print(f"gdlab.run({name!r}, *, seed=1, threads=None, out=None, **params)\n", file=f)
    print(f"{e['summary']}\nsource: {e['source']}\n\nparameters:", file=f)
    for p in params(name):
        rng = ""
        if p["kind"] != "string":
            rng = (f", {'(' if p['min_open'] else '['}{p['min']:g}, {p['max']:g}]"
                   f"{' or inf' if p['inf'] else ''}{' or opt' if p['opt'] else ''}")
        print(f"  {p['keyword']:<12} {p['help']}\n{'':15}default {p['default']!r}{rng}", file=f)
