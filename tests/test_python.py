"""Tests of the Python package (python/gdlab) against the gdlab command.

ctest runs this file with pytest as the test `python`, with GDLAB_LIBRARY
and GDLAB_CLI naming the library and the command of the build under test;
run by hand, it uses build/ of this checkout. Every expected value comes
from the command run here on the same parameters: its summary.json, its
CSVs, its messages, its list and help; none is written into this file.
"""

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The package of this checkout, whatever else is on the path.
sys.path.insert(0, os.path.join(ROOT, "python"))
import gdlab  # noqa: E402

CLI = os.environ.get("GDLAB_CLI") or os.path.join(ROOT, "build", "gdlab")

SGD = dict(eta=0.1, steps=100)  # the example


def cli(*args, check=True):
    """Runs the command; returns (exit code, stdout, stderr)."""
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check:
        assert p.returncode == 0, p.stderr
    return p.returncode, p.stdout, p.stderr


def cli_run(tmp_path, name, *args):
    """`gdlab run NAME ARGS --out DIR`; returns (DIR, its summary.json)."""
    d = tmp_path / ("cli-" + name)
    cli("run", name, *args, "--out", d)
    with open(d / "summary.json") as f:
        return d, json.load(f)


def hexes(x):
    """Bit patterns, so that equal means the same double (or both NaN)."""
    return [float(v).hex() for v in np.atleast_1d(x)]


def same_scalars(a, b):
    """Whether two results' scalars are the same doubles (NaN equal to NaN)."""
    return list(a) == list(b) and all(hexes(a[k][f]) == hexes(b[k][f]) for k in a for f in ("value", "se"))


def test_summary_is_the_commands_bit_for_bit(tmp_path):
    _, want = cli_run(tmp_path, "sgd-1d", "--eta", "0.1", "--steps", "100")
    got = gdlab.run("sgd-1d", **SGD)
    assert got["scalars"]["loss_exact"]["value"].hex() == float(want["scalars"]["loss_exact"]["value"]).hex()
    assert set(got["scalars"]) == set(want["scalars"]) and len(want["scalars"]) >= 4
    for name, s in want["scalars"].items():
        for k in ("value", "se"):
            g = got["scalars"][name][k]
            if s[k] is None:  # summary.json's null: a non-finite number
                assert not np.isfinite(g), (name, k, g)
            else:
                assert g.hex() == float(s[k]).hex(), (name, k)
    for k in ("experiment", "version", "seed", "params", "status", "status_detail", "notes", "claims", "plots"):
        assert got[k] == want[k], k
    assert list(got["series"]) == list(want["series"])


def test_series_are_the_commands_csv(tmp_path):
    d, want = cli_run(tmp_path, "sgd-1d", "--eta", "0.1", "--steps", "100")
    got = gdlab.run("sgd-1d", **SGD)["series"]
    assert len(want["series"]) >= 2
    for name, file in want["series"].items():
        with open(d / file) as f:
            rows = list(csv.reader(f))
        header, body = rows[0], rows[1:]
        assert list(got[name]) == header, name
        assert len(body) > 0
        for j, col in enumerate(header):
            a = got[name][col]
            assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (len(body),)
            assert hexes(a) == hexes([float(r[j]) for r in body]), (name, col)


def test_out_writes_the_run_directory_as_the_command(tmp_path):
    d, want = cli_run(tmp_path, "sgd-1d", "--eta", "0.1", "--steps", "100")
    out = tmp_path / "py"
    gdlab.run("sgd-1d", out=out, **SGD)
    with open(out / "summary.json") as f:
        got = json.load(f)
    want.pop("elapsed_s"), got.pop("elapsed_s")
    assert got == want
    assert sorted(os.listdir(out)) == sorted(os.listdir(d))
    for file in want["series"].values():
        assert (out / file).read_bytes() == (d / file).read_bytes(), file


def test_a_bad_value_raises_the_librarys_message():
    for kw, args in [(dict(eta="abc"), ["--eta", "abc"]), (dict(eta=5), ["--eta", "5"]),
                     (dict(steps=2.5), ["--steps", "2.5"])]:
        rc, _, err = cli("run", "sgd-1d", *args, check=False)
        assert rc == 2
        with pytest.raises(gdlab.ParameterError) as e:
            gdlab.run("sgd-1d", **kw)
        assert isinstance(e.value, ValueError) and isinstance(e.value, gdlab.GdlabError)
        assert "gdlab: " + str(e.value) == err.strip()
        assert e.value.message == str(e.value) and e.value.status == "invalid input"
    # refused by the experiment itself, not by the schema: the command
    # prefixes the experiment's name
    rc, _, err = cli("run", "sgd-1d", "--formula", "eta+", check=False)
    assert rc == 2
    with pytest.raises(gdlab.ParameterError) as e:
        gdlab.run("sgd-1d", formula="eta+")
    assert "gdlab: sgd-1d: " + str(e.value) == err.strip()


def test_a_file_that_cannot_be_read_raises_the_librarys_message(tmp_path):
    missing = tmp_path / "no-such-runs.csv"
    rc, _, err = cli("run", "fit", missing, check=False)
    assert rc == 2
    with pytest.raises(gdlab.FileError) as e:
        gdlab.run("fit", file=missing)
    assert isinstance(e.value, OSError)
    assert "gdlab: fit: " + str(e.value) == err.strip()


def test_unknown_names_are_named():
    with pytest.raises(gdlab.ParameterError, match="unknown experiment 'no-such-experiment'"):
        gdlab.run("no-such-experiment")
    rc, _, err = cli("run", "sgd-1d", "--etaa", "1", check=False)
    assert rc == 2
    with pytest.raises(gdlab.ParameterError) as e:
        gdlab.run("sgd-1d", etaa=1)
    assert "gdlab: " + str(e.value) == err.strip()
    assert "--etaa" in str(e.value)
    # a keyword's underscores are the command's hyphens
    with pytest.raises(gdlab.ParameterError, match="unknown parameter --eta-maxx "):
        gdlab.run("sgd-1d", eta_maxx=0.2)
    for f in (gdlab.params, gdlab.help):
        with pytest.raises(gdlab.ParameterError, match="'no-such-experiment'"):
            f("no-such-experiment")


def test_bad_seed_threads_and_types():
    for kw in (dict(seed=-1), dict(seed=2 ** 53 + 1), dict(threads=0), dict(threads=1025)):
        with pytest.raises(gdlab.ParameterError, match=list(kw)[0]):
            gdlab.run("sgd-1d", **kw)
    for kw in (dict(seed=1.5), dict(threads="2"), dict(eta=object()), dict(eta=[[0.1]])):
        with pytest.raises(TypeError):
            gdlab.run("sgd-1d", **kw)


def test_list_is_the_commands_list():
    _, out, _ = cli("list")
    want = {}
    for line in out.splitlines():
        name, summary = line.split(None, 1)
        want[name] = summary.strip()
    assert len(want) >= 20
    got = gdlab.list()
    assert list(got) == list(want)  # the same names in the same order
    assert got == want


def test_params_are_the_commands_help():
    for name in gdlab.list():
        _, out, _ = cli("help", name)
        lines = out.splitlines()
        start = lines.index("parameters:") + 1
        end = lines.index("", start)
        entries = lines[start:end]
        ps = gdlab.params(name)
        assert len(entries) == 2 * len(ps), name
        for p, (head, dflt) in zip(ps, zip(entries[0::2], entries[1::2])):
            assert head.split()[0] == "--" + p["name"], name
            assert p["keyword"] == p["name"].replace("-", "_")
            text = dflt.strip()
            assert text.startswith(f"default '{p['default']}'"), (name, p["name"])
            if p["kind"] == "string":
                assert p["min"] is None and p["max"] is None
            else:
                rng = (f"{'(' if p['min_open'] else '['}{p['min']:g}, {p['max']:g}]"
                       f"{' or inf' if p['inf'] else ''}{' or opt' if p['opt'] else ''}")
                assert text == f"default '{p['default']}' {rng}", (name, p["name"])


def test_same_seed_same_numbers_other_seed_others():
    kw = dict(eta=0.1, steps=100, replicas=2000)
    a = gdlab.run("sgd-1d", seed=7, **kw)
    b = gdlab.run("sgd-1d", seed=7, threads=1, **kw)
    c = gdlab.run("sgd-1d", seed=8, **kw)
    assert a["seed"] == 7 and c["seed"] == 8
    for col, x in a["series"]["curve"].items():
        assert hexes(x) == hexes(b["series"]["curve"][col]), col
    assert same_scalars(a["scalars"], b["scalars"])
    # the Monte Carlo columns depend on the seed, the exact ones do not
    assert hexes(a["series"]["curve"]["loss_exact"]) == hexes(c["series"]["curve"]["loss_exact"])
    assert hexes(a["series"]["curve"]["loss_mc"]) != hexes(c["series"]["curve"]["loss_mc"])


def test_claims_and_their_verdicts_come_through(tmp_path):
    _, want = cli_run(tmp_path, "claim-logsumexp", "--trials", "20", "--max-n", "4")
    got = gdlab.run("claim-logsumexp", trials=20, max_n=4)
    assert len(want["claims"]) >= 3
    assert got["claims"] == want["claims"]
    # sgd-1d checks the seeds' own formulas, some of them wrong: refuted
    # verdicts are results too
    _, want = cli_run(tmp_path, "sgd-1d", "--eta", "0.1", "--steps", "100")
    got = gdlab.run("sgd-1d", **SGD)["claims"]
    assert got == want["claims"]
    assert {c["verdict"] for c in got} == {"confirmed", "refuted"}


def test_a_diverged_run_is_a_result_not_an_error():
    rc, out, _ = cli("run", "sgd-1d", "--eta", "2", "--steps", "1000", "--replicas", "100", "--json")
    assert rc == 0
    want = json.loads(out)
    got = gdlab.run("sgd-1d", eta=2, steps=1000, replicas=100)
    assert want["status"] == "diverged" and got["status"] == "diverged"
    assert got["status_detail"] == want["status_detail"] and got["status_detail"]
    # summary.json writes the infinite loss as null; Python gets inf
    assert want["scalars"]["loss_exact"]["value"] is None
    assert got["scalars"]["loss_exact"]["value"] == float("inf")


def test_values_lists_numpy_and_strings():
    base = gdlab.run("regimes", spectrum="1,2.5,10")
    for v in ([1, 2.5, 10], (1, 2.5, 10), np.array([1.0, 2.5, 10.0])):
        r = gdlab.run("regimes", spectrum=v)
        assert same_scalars(r["scalars"], base["scalars"]), v
    assert gdlab.run("regimes", spectrum=[1, 2.5, 10])["params"]["spectrum"] == "1,2.5,10"
    # numbers pass exactly: numpy scalars, a float given for a whole number,
    # 'opt', and None for the default
    r = gdlab.run("sgd-1d", eta=np.float64(0.1), steps=np.int64(100), replicas=1e3, teacher=None)
    assert r["params"]["eta"] == 0.1 and r["params"]["steps"] == 100 and r["params"]["replicas"] == 1000
    assert r["params"]["teacher"] == gdlab.run("sgd-1d")["params"]["teacher"]
    x = 2 / 7  # a double of 17 significant digits
    r = gdlab.run("sgd-1d", eta=x, eta_max=np.float64(x), replicas=0, g="1/2")  # --eta-max serves --g
    assert float(r["params"]["eta"]).hex() == x.hex() and float(r["params"]["eta-max"]).hex() == x.hex()
    r = gdlab.run("sgd-1d", eta="opt", steps=1000, replicas=0)
    assert r["params"]["eta"] == "opt" and 0 < r["scalars"]["eta_opt"]["value"] <= 1 / 3
    assert r["scalars"]["loss_opt"]["value"] <= gdlab.run("sgd-1d", eta=0.1, steps=1000, replicas=0)[
        "scalars"]["loss_exact"]["value"]


def test_help_prints_every_keyword(capsys):
    gdlab.help("sgd-1d")
    out = capsys.readouterr().out
    assert gdlab.list()["sgd-1d"] in out
    for p in gdlab.params("sgd-1d"):
        assert f"  {p['keyword']} " in out


def test_version_is_the_librarys():
    _, out, _ = cli("version")
    assert out.split() == ["gdlab", gdlab.__version__]
    assert gdlab.run("claim-logsumexp", trials=1, max_n=2)["version"] == gdlab.__version__


def test_the_setup_venv_imports_this_checkout():
    py = os.path.join(ROOT, ".venv", "bin", "python")
    if not os.path.exists(py):
        pytest.skip("no .venv (scripts/bootstrap makes it)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GDLAB_LIBRARY")}
    p = subprocess.run([py, "-c", "import gdlab, numpy; print(gdlab.__file__); print(gdlab._lib.path)"],
                       capture_output=True, text=True, env=env, cwd="/")
    assert p.returncode == 0, p.stderr
    file, lib = p.stdout.split("\n")[:2]
    assert os.path.realpath(file) == os.path.realpath(os.path.join(ROOT, "python", "gdlab", "__init__.py"))
    # without GDLAB_LIBRARY: the library of this checkout's build/
    built = os.path.join(ROOT, "build", "libgdlab.so")
    if os.path.exists(built):
        assert lib == built


def test_a_gdlab_library_that_does_not_load_is_an_import_error(tmp_path):
    env = dict(os.environ, GDLAB_LIBRARY=str(tmp_path / "libnothing.so"),
               PYTHONPATH=os.path.join(ROOT, "python"))
    p = subprocess.run([sys.executable, "-c", "import gdlab"], capture_output=True, text=True, env=env)
    assert p.returncode != 0
    assert "ImportError: gdlab: GDLAB_LIBRARY=" in p.stderr and "libnothing.so" in p.stderr
