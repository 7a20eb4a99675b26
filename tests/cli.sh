#!/bin/sh
# End-to-end tests of the gdlab command line: help, bad input (exit 2, a
# message naming the problem, nothing written to --out), --json, --strict,
# divergence as a result, determinism across thread counts, atomic outputs.
# Usage: cli.sh path/to/gdlab
G=${1:?usage: cli.sh path/to/gdlab}
case "$G" in /*) ;; *) G="$PWD/$G" ;; esac
T=$(mktemp -d)
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"

expect 0 "usage: gdlab" -- --help
expect 2 "usage: gdlab" -- 
expect 0 "sgd-zipf-exponents" -- list
expect 0 "--replicas" -- run sgd-1d --help
expect 0 "--width" -- help sgd-zipf
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "unknown experiment 'nope'" -- run nope
expect 2 "--eta: expected a number in (0, 2] or 'opt', got 'abc'" -- run sgd-1d --eta abc --out "$T/x"
expect 2 "--eta: expected" -- run sgd-1d --eta 0 --out "$T/x"
expect 2 "--steps: expected a whole number" -- run sgd-1d --steps -5 --out "$T/x"
expect 2 "not a whole number" -- run sgd-1d --steps 2.5 --out "$T/x"
expect 2 "unknown parameter --bogus" -- run sgd-1d --bogus 1 --out "$T/x"
expect 2 "--eta: missing value" -- run sgd-1d --eta
expect 2 "--threads: expected a whole number" -- run sgd-1d --threads 0
expect 2 "--seed: expected a whole number" -- run sgd-1d --seed -1
expect 2 "--width: expected a whole number" -- run sgd-zipf --width -3 --out "$T/x"
expect 2 "--b: expected a number in [1, 100]" -- run sgd-zipf --b 0.5 --out "$T/x"
expect 0 "loss_exact" -- run sgd-zipf --width 100 --steps 100 --eta 0.1 --out "$T/sz"
expect 2 "column" -- run sgd-1d --replicas 0 --formula "2*(eta+" --out "$T/x"
expect 2 "unknown variable" -- run sgd-1d --replicas 0 --g "log(z)" --out "$T/x"
expect 2 "p + 2q > 1" -- run sgd-diag --p 0.5 --q 0 --out "$T/x"
expect 2 "unexpected argument 'extra'" -- run sgd-1d extra
if [ -e "$T/x" ]; then bad "a failed run left $T/x behind"; else ok "failed runs wrote nothing to --out"; fi

# A flag given twice is refused (it used to take the last value silently),
# naming it and both values; the bare file argument and --file count as two.
expect 2 "--eta: given twice (0.1, then 0.2)" -- run sgd-1d --replicas 0 --eta 0.1 --eta 0.2 --out "$T/x"
expect 2 "--eta: given twice (0.1, then 0.2)" -- sgd-1d --replicas 0 --eta=0.1 --eta 0.2 --out "$T/x"
expect 2 "--seed: given twice (1, then 2)" -- run sgd-1d --replicas 0 --seed 1 --seed 2 --out "$T/x"
expect 2 "--out: given twice ($T/x, then $T/x2)" -- run sgd-1d --replicas 0 --out "$T/x" --out "$T/x2"
expect 2 "--json: given twice" -- run sgd-1d --replicas 0 --json --json
expect 2 "--threads: given twice (1, then 2)" -- reproduce --threads 1 --threads 2 --bogus 1 --out "$T/x"
expect 2 "--file: given twice (A.csv, then B.csv)" -- fit A.csv --file B.csv --out "$T/x"
if [ -e "$T/x" ] || [ -e "$T/x2" ]; then bad "a repeated flag wrote output"; else ok "repeated flags wrote nothing"; fi

# A run writes a whole output directory; summary.json is valid JSON.
expect 0 "claims:" -- run sgd-1d --replicas 2000 --out "$T/a" --threads 1
for f in summary.json curve.csv curve.png curve.svg optimum.csv; do
  if [ -s "$T/a/$f" ]; then ok "wrote $f"; else bad "missing $f"; fi
done
if ls "$T/a" | grep -q '\.tmp\.'; then bad "temporary files left"; else ok "no temporary files left"; fi
if command -v python3 >/dev/null; then
  if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["experiment"]=="sgd-1d" and d["status"]=="ok" and d["scalars"]["loss_exact"]["se"] is None' "$T/a/summary.json"
  then ok "summary.json parses and follows the contract"; else bad "summary.json contract"; fi
  if "$G" run sgd-1d --replicas 100 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["scalars"]["loss_mc"]["se"] > 0'
  then ok "--json prints the summary object"; else bad "--json output"; fi
fi
(cd "$T" && "$G" run sgd-1d --replicas 100 --out none >"$T/none.txt" 2>&1); rc=$?
if [ "$rc" -eq 0 ] && grep -q "no outputs written (--out none)" "$T/none.txt" && [ ! -e "$T/none" ]; then
  ok "--out none writes nothing and says so"; else bad "--out none: exit $rc or wrote $T/none"; fi

# A run directory holds exactly one run: a second run replaces it whole (the
# g_check.csv of a run with --g does not stay beside a run without it); a
# directory with anything else is refused before the run starts (exit 2),
# and left as it was.
"$G" run sgd-1d --replicas 0 --g "1/2" --out "$T/one" >/dev/null 2>&1
"$G" run sgd-1d --replicas 0 --out "$T/one/" >/dev/null 2>&1; rc=$?
if [ "$rc" -eq 0 ] && [ -s "$T/one/summary.json" ] && [ ! -e "$T/one/g_check.csv" ] && ! ls "$T" | grep -q '\.tmp\.'
then ok "a run replaces an earlier run's directory whole"; else bad "rerun into a run directory: exit $rc, $(ls "$T/one" | tr '\n' ' ')"; fi
mkdir "$T/mine" && echo "mine" > "$T/mine/notes.txt" && echo "x" > "$T/mine/a.csv"
expect 2 "--out $T/mine: exists and is not a gdlab run directory (it holds " -- run eos --data no-such.csv --out "$T/mine"
expect 2 "choose another directory" -- run sgd-1d --replicas 0 --out "$T/mine/"
(cd "$T/mine" && "$G" run sgd-1d --replicas 0 --out . >"$T/dot.txt" 2>&1); rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "--out .: exists and is not a gdlab run directory" "$T/dot.txt"; then ok "--out . of a user's directory refused"
else bad "--out .: exit $rc, $(cat "$T/dot.txt")"; fi
if [ "$(cat "$T/mine/notes.txt")" = mine ] && [ "$(ls "$T/mine" | tr '\n' ' ')" = "a.csv notes.txt " ]; then ok "a refused --out directory is left as it was"
else bad "the refused directory changed: $(ls "$T/mine")"; fi
expect 2 "--out $T/mine: exists and is not a gdlab report directory (it holds " -- reproduce --out "$T/mine"
mkdir -p "$T/rep/eos" && echo "mine" > "$T/rep/eos/notes.txt"
expect 2 "--out $T/rep/eos: exists and is not a gdlab run directory (it holds notes.txt)" -- reproduce --out "$T/rep"
if [ -s "$T/rep/eos/notes.txt" ] && [ ! -e "$T/rep/report.md" ]; then ok "reproduce refused before running"; else bad "reproduce wrote into a refused directory"; fi

# Same numbers for 1 and 2 threads.
"$G" run sgd-1d --replicas 5000 --out "$T/b" --threads 2 >/dev/null 2>&1
"$G" run sgd-1d --replicas 5000 --out "$T/c" --threads 1 >/dev/null 2>&1
if cmp -s "$T/b/curve.csv" "$T/c/curve.csv"; then ok "sgd-1d identical for --threads 1 and 2"; else bad "sgd-1d differs across thread counts"; fi
"$G" run sgd-diag --replicas 64 --steps 200 --out "$T/d" --threads 2 >/dev/null 2>&1
"$G" run sgd-diag --replicas 64 --steps 200 --out "$T/e" --threads 1 >/dev/null 2>&1
if cmp -s "$T/d/risk.csv" "$T/e/risk.csv"; then ok "sgd-diag identical for --threads 1 and 2"; else bad "sgd-diag differs across thread counts"; fi
for t in 1 2; do
  "$G" run stability --m 20 --hidden 8 --b-grid 1,4 --replicas 40 --sim-steps 100 --flat-runs 0.5:4 --threads $t --out "$T/stt$t" >/dev/null 2>&1
done
same=1
for f in "$T"/stt1/*.csv; do cmp -s "$f" "$T/stt2/$(basename "$f")" || same=0; done
if [ "$same" -eq 1 ] && ls "$T"/stt1/*.csv >/dev/null 2>&1; then ok "stability: every CSV identical for --threads 1 and 2"
else bad "stability differs across thread counts"; fi
"$G" run sgd-1d --replicas 5000 --seed 2 --out "$T/f" >/dev/null 2>&1
if cmp -s "$T/b/curve.csv" "$T/f/curve.csv"; then bad "--seed has no effect"; else ok "--seed changes the Monte Carlo"; fi

# --strict: the seed claims of sgd-1d are refuted, so exit 1.
expect 1 "refuted" -- run sgd-1d --replicas 0 --strict --out "$T/g"
# Divergence is a result, with the step.
expect 0 "diverged" -- run sgd-diag --eta 5 --out "$T/h"
if grep -Eq '"status":[[:space:]]*"diverged"' "$T/h/summary.json" && grep -q 'at step' "$T/h/summary.json"
then ok "divergence recorded in summary.json with its step"; else bad "divergence not recorded"; fi

# The edge-of-stability experiment on a small network: outputs, contract
# scalars, bad input, divergence as a result.
E="--subset 300 --hidden 30 --steps 120 --eig-every 20"
expect 0 "eos-band" -- run eos $E --eta 0.2 --density-probes 2 --out "$T/eos"
for f in train.csv sharpness.csv loss.png sharpness.png density.csv density.png summary.json; do
  if [ -s "$T/eos/$f" ]; then ok "eos wrote $f"; else bad "eos missing $f"; fi
done
if head -1 "$T/eos/train.csv" | grep -q '^step,loss,accuracy' && head -1 "$T/eos/sharpness.csv" | grep -q '^step,sharpness,lambda2,residual,hvps'
then ok "eos series have the contract columns"; else bad "eos series columns"; fi
for k in onset_step band_p05 band_p95 band_mean; do
  if grep -q "\"$k\"" "$T/eos/summary.json"; then ok "eos scalar $k"; else bad "eos scalar $k missing"; fi
done
expect 2 "no-such.csv" -- run eos $E --data no-such.csv --out "$T/y"
expect 2 "--hidden: expected" -- run eos --subset 300 --steps 120 --eig-every 20 --hidden 10,x --out "$T/y"
expect 2 "--activation: expected" -- run eos $E --activation sigmoidish --out "$T/y"
expect 2 "--eta: expected" -- run eos $E --eta 0,0.1 --out "$T/y"
expect 2 "--optimizer: expected" -- run eos $E --optimizer rmsprop --out "$T/y"
expect 2 "--momentum applies to --optimizer momentum or nesterov, not gd; --beta2 applies to --optimizer adam or adamw, not gd" -- run eos $E --momentum 0.5 --beta2 0.9 --out "$T/y"
printf 'a,b,label\n1,2,0\n3,x,1\n' > "$T/bad.csv"
expect 2 "line 3" -- run eos $E --data "$T/bad.csv" --out "$T/y"
if [ -e "$T/y" ]; then bad "a failed eos run left output"; else ok "failed eos runs wrote nothing"; fi
expect 0 "diverged" -- run eos $E --eta 50 --out "$T/div"
if grep -q 'at step' "$T/div/summary.json"; then ok "eos divergence recorded with its step"; else bad "eos divergence"; fi
# eos: the same bits for --threads 1, 2 and 3 (3 oversubscribes two cores):
# every series file byte for byte, and summary.json without its elapsed time
# (the only field that may differ). Two learning rates, the gradient flow
# and the SLQ density, so that every output of the experiment is compared.
for t in 1 2 3; do
  if "$G" run eos $E --eta 0.2,0.3 --flow-steps 40 --density-probes 2 --threads $t --out "$T/eos-t$t" >/dev/null 2>&1
  then ok "eos --threads $t ran"; else bad "eos --threads $t failed"; fi
  grep -v '"elapsed_s"' "$T/eos-t$t/summary.json" > "$T/eos-t$t.json" 2>/dev/null
done
for t in 2 3; do
  differ=""
  for f in train.csv train_2.csv sharpness.csv sharpness_2.csv flow.csv density.csv; do
    cmp -s "$T/eos-t1/$f" "$T/eos-t$t/$f" || differ="$differ $f"
  done
  if [ -s "$T/eos-t1.json" ] && grep -q '"sharpness_initial_2"' "$T/eos-t1.json"; then
    cmp -s "$T/eos-t1.json" "$T/eos-t$t.json" || differ="$differ summary.json"
  else
    differ="$differ summary.json(missing)"
  fi
  if [ -z "$differ" ]; then ok "eos identical for --threads 1 and $t (series and summary.json)"
  else bad "eos differs between --threads 1 and $t:$differ"; fi
done

# Linear stability at an interpolating minimum.
S0="--m 20 --replicas 40 --sim-steps 100"
S="$S0 --hidden 8 --b-grid 1,4 --flat-runs 0.5:4"
expect 0 "000-p2-sgd" -- run stability $S --out "$T/st"
for f in spectrum.csv limits.csv phase.csv flat.csv phase.png tightness.png alignment.png summary.json; do
  if [ -s "$T/st/$f" ]; then ok "stability wrote $f"; else bad "stability missing $f"; fi
done
for k in sigma_2 sigma_F delta_inf eta_gd eta_bound eta_crit tightness; do
  if grep -q "\"$k\"" "$T/st/summary.json"; then ok "stability scalar $k"; else bad "stability scalar $k missing"; fi
done
expect 0 "000-p2-sgd" -- run stability $S0 --b-grid 1,4 --flat-runs 0.5:4 --hidden "" --out "$T/st2"
expect 2 "--batch: 50 is larger than m = 20" -- run stability $S --batch 50 --out "$T/z"
expect 2 "did not interpolate" -- run stability --m 200 --hidden 1 --flat-runs "" --out "$T/z"
expect 2 "--eta: expected" -- run stability $S --eta 0 --out "$T/z"
expect 2 "--batch: expected" -- run stability $S --batch 0 --out "$T/z"
expect 2 "--sampling: expected" -- run stability $S --sampling maybe --out "$T/z"
printf 'a,b,y\n1,2,0\n3,4,1\n1,2,1\n5,6,0\n' > "$T/dup.csv"
expect 2 "same input" -- run stability --data "$T/dup.csv" --target value --m 4 --hidden 4 --b-grid 1 --flat-runs "" --batch 1 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed stability run left output"; else ok "failed stability runs wrote nothing"; fi

# Large learning rates (seed 003).
expect 0 "orbit-periods-1.9" -- run basins --grid -1:1:9,-1:1:9 --out "$T/bas"
expect 0 "period" -- run orbit --eta 1.1 --x0 0.45,0.55 --out "$T/orb"
if tr -d ' \t\n' < "$T/orb/summary.json" | grep -q '"period":{"value":2,'; then ok "orbit: period 2 at eta 1.1"; else bad "orbit: period 2 at eta 1.1"; fi
expect 0 "diverged" -- run orbit --eta 3 --x0 x=0.45,y=0.55 --out "$T/orbd"
if grep -q '"divergence_step"' "$T/orbd/summary.json"; then ok "orbit divergence recorded with its step"; else bad "orbit divergence step"; fi
expect 0 "etas_periodic" -- run orbit-diagram --eta 1:2:64 --steps 64 --transient 2000 --out "$T/bif"
expect 0 "lambda1" -- run lyapunov --eta 1.9 --out "$T/lya"
expect 0 "003-regimes-quadratic" -- run regimes --out "$T/reg"
expect 0 "slope_mod" -- run modified-flow --out "$T/mf"
expect 0 "imbalance_final" -- run balancing --seeds 4 --eta-l0 0.5:3.5:4 --out "$T/bal"
# The window claim can fail: a grid that stops below eta L0 = 2 puts the strongest balancing outside (2, 4).
expect 0 "[refuted]       003-balancing-window" -- run balancing --seeds 6 --eta-l0 0.2:1.8:5 --out "$T/bal2"
expect 0 "003-ms-gibbs-eta" -- run multiscale --steps 20000 --sweep-steps 20000 --eta 0.1:0.4:2 --out "$T/ms"
expect 2 "--eta: learning rates must be > 0" -- run orbit --eta 0 --out "$T/z"
expect 2 "lo < hi" -- run orbit-diagram --eta 2:1:10 --out "$T/z"
expect 2 "column 4" -- run orbit --f "x*(" --out "$T/z"
expect 2 "unknown variable 'z'" -- run lyapunov --x0 z=1 --out "$T/z"
expect 2 "expected 2 values" -- run orbit --x0 1,2,3 --out "$T/z"
expect 2 "--grid: expected" -- run basins --grid 1 --out "$T/z"
expect 2 "use a coarser --grid" -- run basins --grid -2:2:2000,-2:2:2000 --max-period 1024 --out "$T/z"
expect 2 "at most 4 learning rates" -- run basins --alt-etas 1,2,3,4,5 --grid -1:1:5,-1:1:5 --out "$T/z"
expect 2 "--spectrum: expected" -- run regimes --spectrum 1,x --out "$T/z"
expect 2 "--problem: expected matrix or scalar" -- run balancing --problem cube --out "$T/z"
expect 2 "one-dimensional" -- run multiscale --f0 "x^2+y^2" --out "$T/z"
expect 2 "not periodic" -- run multiscale --f1 x --out "$T/z"
# Numbers in lists, ranges and points are decimal (gd_parse_decimal): no
# hex, and 1e-400 refused like 1e400, naming the parameter (strtod took 0x4
# as 4 and 1e-400 as 0).
expect 2 "--eta-l0: expected a number or lo:hi:count, got '1e-400:2:3' (too small: rounds to 0)" -- run balancing --seeds 2 --eta-l0 1e-400:2:3 --out "$T/z"
expect 2 "--x0: expected a finite number for x, got '0x1,0.5'" -- run orbit --eta 1.1 --x0 0x1,0.5 --out "$T/z"
expect 2 "--x0: expected a finite number for y, got '1e-400' (too small: rounds to 0)" -- run orbit --eta 1.1 --x0 0.5,1e-400 --out "$T/z"
expect 2 "--eta: expected" -- run orbit-diagram --eta 0x1:2:64 --out "$T/z"
expect 2 "--b-grid: expected" -- run stability $S0 --hidden 8 --flat-runs 0.5:4 --b-grid 1,0x4 --out "$T/z"
expect 2 "--flat-runs: expected" -- run stability $S0 --hidden 8 --b-grid 1,4 --flat-runs 0.5:0x4 --out "$T/z"
expect 2 "--shapes: expected" -- claim-sphere --trials 1 --directions 1 --shapes "8x8, 8x8" --out "$T/z"
expect 2 "--alt-etas: expected" -- run basins --grid -1:1:5,-1:1:5 --alt-etas 0x1.8 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed large-lr run left output"; else ok "failed large-lr runs wrote nothing"; fi

# Modular addition (seed 004).
expect 0 "004-order-4-or-6" -- run modadd --p 11 --width 64 --steps 600 --out "$T/ma"
for f in curves.csv frequencies.csv fourier.csv fourier.png orders.png accuracy.png; do
  if [ -s "$T/ma/$f" ]; then ok "modadd wrote $f"; else bad "modadd did not write $f"; fi
done
expect 0 "batches of 128 pairs" -- run modadd --p 13 --width 16 --steps 5 --optimizer sgd --lr 0.1 --out "$T/ma2"
expect 0 "004-gromov-grok" -- modadd-gromov --p 11 --width 32 --steps 50 --lr 100 --out "$T/mg"
expect 0 "exploded at step" -- modadd-gromov --p 11 --width 32 --steps 50 --lr 1e6 --out "$T/mgd"
expect 2 "--beta1 applies to --optimizer adam or adamw, not gd; --momentum applies to" -- run modadd --optimizer gd --beta1 0.8 --momentum 0.5 --out "$T/z"
expect 2 "--p: expected an odd modulus" -- run modadd --p 24 --out "$T/z"
expect 2 "--batch 1000 exceeds the 476 training pairs" -- run modadd --optimizer adam --batch 1000 --out "$T/z"
expect 2 "--loss: expected projected-mse, mse or ce" -- run modadd --loss huber --out "$T/z"
expect 2 "--p-grid: 8 is not an odd modulus" -- run modadd --p-grid 7,8 --out "$T/z"
expect 2 "--precision: expected float32 or float64" -- run modadd --precision half --out "$T/z"
expect 2 "--parameterization: expected pytorch or mean-field, got 'ntk'" -- run modadd --parameterization ntk --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed modadd run left output"; else ok "failed modadd runs wrote nothing"; fi

# rope-base: the search, the check of a printed base, and its refusals.
expect 0 "base                     = 629978" -- rope-base --dim 128 --context 32768 --out "$T/rb"
expect 2 "--search-ratio is the grid of the fp32 search" -- rope-base --search-ratio 0.1 --out "$T/z"
expect 0 "first_violation_m = 1707" -- rope-base --dim 128 --context 60000 --base 10000 --out "$T/rb2"
expect 2 "--search-ratio applies to the search, not to the check of --base 10000" -- rope-base --base 10000 --search-ratio 0.1 --out "$T/z"
expect 2 "--dim: expected an even dimension, got 127; --precision: expected fp64 or fp32, got 'bf16'" -- rope-base --dim 127 --precision bf16 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed rope-base run left output"; else ok "failed rope-base runs wrote nothing"; fi

# claim-rope: a planted infeasible base (4000 < 4293.4, the smallest for L = 1024) must be refuted.
expect 0 "L = 1024: b = 4e+03 has B(719) = -3.88" -- claim-rope --max-context 2048 --search-max-context 2048 --row 4000,11600 --out "$T/cr"
expect 0 "[refuted]       002-rope-su-row" -- claim-rope --max-context 2048 --search-max-context 0 --out "$T/cr2"
expect 0 "[confirmed]     002-rope-user-row" -- claim-rope --max-context 2048 --search-max-context 0 --row 4300,16000 --out "$T/cr3"
expect 2 "--row: expected up to 11 comma-separated bases > 1 (for L = 1024, 2048, ...), got '1e4,abc'; --max-context 3000, --search-max-context 4096: expected powers of two" -- claim-rope --max-context 3000 --search-max-context 4096 --row 1e4,abc --out "$T/z"
expect 2 "--search-tol applies to the search, which --search-max-context 0 turns off" -- claim-rope --search-max-context 0 --search-tol 1e-3 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed claim-rope run left output"; else ok "failed claim-rope runs wrote nothing"; fi

# claim-regret: the unbounded domain in expectation on a small Monte Carlo; --noise needs the Monte Carlo on.
expect 0 "[confirmed]     002-regret-unbounded-expectation" -- claim-regret --starts 2 --iters 50 --paths 400 --out "$T/rg"
expect 2 "--noise applies to the Monte Carlo, which --paths 0 turns off" -- claim-regret --paths 0 --noise 2 --out "$T/z"
expect 2 "--paths: expected 0 (no Monte Carlo) or at least 2" -- claim-regret --paths 1 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed claim-regret run left output"; else ok "failed claim-regret runs wrote nothing"; fi

# claim-gradpenalty: the residual control must be refuted at the default budget; bad lists are refused.
expect 0 "[refuted]       002-gradpenalty-residual" -- claim-gradpenalty --archs 2-3-3-1 --activations tanh,relu --train-steps 20 --out "$T/gp"
expect 2 "--archs: expected architectures like 2-3-3-1 (widths 1..64, at most 16 layers), got '2-3-x'; --activations: unknown or too many: 'foo'" -- claim-gradpenalty --archs 2-3-x,3-2 --activations tanh,foo --out "$T/z"
# 17 architectures wrote past the end of a 16-entry array (the sanitizer build found it)
expect 2 "--archs: more than 16 architectures" -- claim-gradpenalty --archs 2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1,2-1 --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed claim-gradpenalty run left output"; else ok "failed claim-gradpenalty runs wrote nothing"; fi

# fit: the user's CSV (bare file argument), derived D, refusals naming the line, column or parameter.
printf 'N,C,loss\n1e8,6e17,3.1\n2e8,-5,2.9\n' > "$T/bad.csv"
printf 'N,D,loss\n1e8,1e9,3.1\n2e8,2e9,2.9\n' > "$T/two.csv"
expect 0 "D = C / (6 N)" -- fit "$SRC/data/chinchilla.csv" --n-col "Model Size" --c-col "Training FLOP" --bootstrap 50 --starts 20 --out "$T/fit"
for f in summary.json points.csv bootstrap.csv observed_predicted.png isoloss.png bootstrap_a.png; do
  if [ -s "$T/fit/$f" ]; then ok "fit wrote $f"; else bad "fit did not write $f"; fi
done
expect 2 "bad.csv: line 3, column 'C': expected a number > 0, got -5" -- fit "$T/bad.csv" --out "$T/z"
expect 2 "two.csv: 2 runs, fewer than the 5 parameters of the chinchilla form" -- fit "$T/two.csv" --out "$T/z"
printf 'N,D,loss\n1e7,2e8,5.31\n3e7,6e8,4.27\n1e8,2e9,3.6\n3e8,6e9,3.1\n1e7,2e9,4.5\n3e7,2e8,4.6\n1e8,6e8,3.9\n3e8,2e10,2.9\n' > "$T/eight.csv"
expect 0 "the default 5 clipped to 3 (8 runs, 5 parameters of the chinchilla form)" -- run chinchilla-fit --file "$T/eight.csv" --n-col N --d-col D --loss-col loss --bootstrap 100 --starts 5 --out none
expect 2 "eight.csv: 8 runs; --drop-highest 5 leaves fewer than the 5 parameters" -- run chinchilla-fit --file "$T/eight.csv" --n-col N --d-col D --loss-col loss --drop-highest 5 --out "$T/z"
expect 2 "no column 'N' (the header is" -- fit "$SRC/data/chinchilla.csv" --out "$T/z"
expect 2 "--budget applies to the chinchilla form, not to --form power; --delta applies to --objective huber" -- fit "$T/two.csv" --form power --budget 1e20 --delta 0.1 --objective lsq --out "$T/z"
expect 2 "expected a CSV file of runs: gdlab fit FILE.csv" -- fit --out "$T/z"
if [ -e "$T/z" ]; then bad "a failed fit run left output"; else ok "failed fit runs wrote nothing"; fi

# balancing: the parameters of one problem choose it; mixing the two, or the other problem's with --problem, is refused.
expect 0 "the scalar problem 1/2 (mu - x y)^2, because only its parameters (--mu, --x0, --y0) were given" -- run balancing --mu 1 --x0 9 --y0 1 --eta-l0 1:2:2 --seeds 2 --out "$T/bal"
expect 2 "--mu, --x0 belong to --problem scalar, not to --problem matrix" -- run balancing --problem matrix --mu 1 --x0 9 --out "$T/z"
expect 2 "--mu belongs to --problem scalar and --n to --problem matrix" -- run balancing --mu 1 --n 3 --out "$T/z"
# Parameters of a mode not chosen are refused, every one in one message (the rest of the audit).
expect 2 "--mu applies to the built-in 1/2 (mu - x y)^2 (--f empty or mf-scalar), not to --f 'x^2+y^2'; --balance-etas applies" -- run basins --f "x^2+y^2" --mu 2 --balance-etas 1 --out "$T/z"
expect 2 "--alt-etas applies to the seed's claim" -- run basins --eta 1.5 --alt-etas 1 --out "$T/z"
expect 2 "--mu applies to the built-in" -- run lyapunov --f "x^2+y^2" --mu 2 --out "$T/z"
expect 2 "--eta-max applies to --eta opt and to --g, neither of which is given; --candidate-source applies" -- run sgd-1d --eta-max 0.2 --candidate-source me --out "$T/z"
expect 2 "--eta-max applies to --eta opt, not to --eta 0.1" -- run sgd-zipf --eta 0.1 --eta-max 0.2 --out "$T/z"
expect 2 "--x0 applies to the user objective --f, which is not given" -- run regimes --x0 1,2 --out "$T/z"
expect 2 "--spectrum applies to the built-in quadratic, not to --f 'x^2'" -- run modified-flow --f "x^2" --spectrum 1,2 --out "$T/z"
expect 2 "--sweep-steps applies to a sweep (--eta lo:hi:count), not to --eta 0.1" -- run multiscale --sweep-steps 2000 --out "$T/z"

# the man page renders without a warning (groff-base comes with scripts/bootstrap)
w=$(groff -man -Tutf8 -ww -z "$SRC/docs/gdlab.1" 2>&1)
if [ -z "$w" ] && command -v groff >/dev/null; then ok "docs/gdlab.1 renders without warnings"; else bad "docs/gdlab.1: ${w:-no groff}"; fi

# stability on a 6-row CSV: the defaults clip to the data (notes); explicit misfits are refused together
printf 'a,b,value\n1,2,0.5\n2,1,0.1\n3,3,0.9\n0,1,0.2\n1,1,0.4\n2,2,0.7\n' > "$T/six.csv"
expect 0 "--m: the default 40 is more than the data set's 6 examples: m = 6" -- run stability --data "$T/six.csv" --target value --out "$T/st6"
expect 2 "--m: 9 examples asked, the data set has 6; --batch: 7 is larger than m = 6; --b-grid: batch 8 is larger than m = 6; --flat-runs: batch 7 of pair 1 is larger than m = 6" -- run stability --data "$T/six.csv" --target value --m 9 --b-grid 1,8 --flat-runs 1:7 --batch 7 --out "$T/z"

# help's example line and the bash completion generated from the registry
expect 0 "gdlab balancing --seeds 24 --out gdlab-out/balancing" -- help balancing
expect 0 "complete -F _gdlab gdlab" -- completion bash
"$G" completion bash > "$T/comp.sh"
if bash -n "$T/comp.sh" && bash -c ". '$T/comp.sh'; COMP_WORDS=(gdlab run balancing --pr); COMP_CWORD=3; _gdlab; [ \"\${COMPREPLY[*]}\" = --problem ]"; then
  ok "the completion script parses and completes --pr to --problem"; else bad "the completion script"; fi

finish
