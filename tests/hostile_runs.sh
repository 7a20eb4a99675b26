#!/bin/sh
# Hostile input to the experiments (issue 20): work without a cap is
# refused at once, a start where the objective is not finite is bad input,
# a law the data cannot determine is refused, a disagreement of the fit's
# two routes is inconclusive, and summary.json records what ran (a mode or
# a clipped default that gdlab chose).
# Usage: hostile_runs.sh path/to/gdlab
G=${1:?usage: hostile_runs.sh path/to/gdlab}
T=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
MAX_SECONDS=10 # every case here is a refusal or a small run

# json FILE PYTHON-EXPR: the summary at FILE satisfies the expression on d.
json() {
  if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2, d['params']" "$1" 2>"$T/err"; then ok "$1: $2"
  else bad "$1: $2 ($(tail -1 "$T/err"))"; fi
}

# Work without a cap (10^13 GD steps; a Monte Carlo width refused after 8 s of exact work)
expect 2 "GD steps exceeds 1e+10" -- run basins --transient 1e9 --out "$T/x"
expect 2 "GD steps exceeds 1e+10" -- run orbit-diagram --transient 1e9 --out "$T/x"
expect 2 "GD steps exceeds 1e+10" -- run lyapunov --eta 1:2:2000 --steps 1e8 --out "$T/x"
expect 2 "--width: Monte Carlo (--replicas 10) keeps one weight per feature" -- run sgd-zipf --width 1e15 --replicas 10 --out "$T/x"
expect 2 "steps x replicas <= 1e11" -- run sgd-zipf --steps 1e12 --replicas 10 --out "$T/x"

# An expression whose exact Hessian would need gigabytes (700 variables: 2.75 GB; the cap is 64 MiB)
F=$(i=0; s=v0; while [ $i -lt 699 ]; do i=$((i + 1)); s="$s+v$i"; done; echo "$s")
expect 2 "700 variables and 1399 operations need 2.75e+03 MB for the exact gradient and Hessian, more than 64 MB" -- run orbit --f "$F" --out "$T/x"

# A start where the objective, its gradient or its Hessian is not finite
expect 2 "--x0: the objective log(x) is not finite at the start x = -1: f = nan" -- run regimes --f "log(x)" --x0 x=-1 --out "$T/x"
expect 2 "--x0: the objective log(x) is not finite at the start x = -1" -- run orbit --f "log(x)" --x0 -1 --out "$T/x"
expect 2 "not finite at the start x = 0: a partial derivative d/dx = inf" -- run modified-flow --f "sqrt(x)" --x0 0 --out "$T/x"
expect 2 "not finite at the start x = 0: f = inf" -- run lyapunov --f "1/x" --x0 0 --out "$T/x"
expect 2 "not finite at the start x = 0" -- run orbit-diagram --f "x*log(x)" --x0 0 --out "$T/x"
expect 2 "the default start (1, ..., 1)" -- run regimes --f "log(1-x)" --out "$T/x"
if [ -e "$T/x" ]; then bad "a refused run left $T/x"; else ok "refused runs wrote nothing"; fi

# A law the data cannot determine: 50 copies of one run, two distinct x
{ echo N,D,loss; i=0; while [ $i -lt 50 ]; do echo 1e8,2e9,3.1; i=$((i + 1)); done; } > "$T/same.csv"
expect 2 "1 distinct N, 1 distinct D and 1 distinct (N, D) runs: the chinchilla form needs at least 3 distinct N" -- fit "$T/same.csv" --out "$T/x"
printf 'N,D,loss\n1e7,2e8,5.3\n1e7,6e8,4.9\n3e7,2e9,4.1\n3e7,6e9,3.9\n1e7,2e10,4.5\n3e7,2e8,4.6\n' > "$T/twoN.csv"
expect 2 "2 distinct N, 5 distinct D" -- fit "$T/twoN.csv" --bootstrap 0 --out "$T/x"
printf 'x,loss\n10,3\n100,2.5\n10,3.1\n100,2.4\n10,2.9\n' > "$T/twox.csv"
expect 2 "2 distinct x: the power form has 3 parameters and needs at least 3 distinct x" -- fit "$T/twox.csv" --form power --x-col x --out "$T/x"
printf 'N,D,loss\n1e7,2e8,5.3\n1e7,6e8,4.9\n1e7,2e9,4.6\n3e7,2e8,4.7\n3e7,6e8,4.2\n1e8,2e9,3.6\n3e8,6e9,3.1\n' > "$T/hold.csv"
expect 2 "--holdout 2e+17: the 5 runs below it: 2 distinct N, 3 distinct D" -- fit "$T/hold.csv" --bootstrap 0 --holdout 2e17 --out "$T/x"

# The fit's two routes disagree (one L-BFGS start on noisy runs): inconclusive with a note, never refuted
cat > "$T/noisy.csv" <<'CSV'
N,D,loss
2.992e+07,1.226e+09,3.739
1.784e+08,1.352e+08,4.792
1.063e+07,4.731e+09,4.122
9.801e+08,8.72e+08,3.556
4.709e+08,8.968e+08,3.317
1.861e+08,5.446e+09,2.956
1.113e+08,3.037e+09,3.29
3.284e+08,1.521e+09,3.214
4.004e+07,1.154e+08,5.233
2.739e+08,5.723e+09,2.747
2.681e+08,6.953e+09,2.539
7.749e+07,7.433e+09,3.568
CSV
expect 0 "[inconclusive]  fit-routes-agree" -- fit "$T/noisy.csv" --starts 1 --bootstrap 0 --out "$T/noisy"
json "$T/noisy/summary.json" "[c['verdict'] for c in d['claims'] if c['id'] == 'fit-routes-agree'] == ['inconclusive'] and any('routes to the optimum disagree' in n for n in d['notes'])"
expect 0 "[confirmed]     fit-routes-agree" -- fit "$T/noisy.csv" --bootstrap 0 --out none

# summary.json records what ran: the mode gdlab chose, and clipped defaults
expect 0 "the scalar problem 1/2 (mu - x y)^2" -- run balancing --mu 1 --x0 9 --y0 1 --out "$T/bal"
json "$T/bal/summary.json" "d['params']['problem'] == 'scalar'"
expect 0 "the default 5 clipped to 2" -- run chinchilla-fit --file "$T/hold.csv" --n-col N --d-col D --loss-col loss --bootstrap 100 --starts 5 --out "$T/ch"
json "$T/ch/summary.json" "d['params']['drop-highest'] == 2"
printf 'a,b,value\n1,2,0.5\n2,1,0.1\n3,3,0.9\n0,1,0.2\n1,1,0.4\n2,2,0.7\n' > "$T/six.csv"
expect 0 "m = 6" -- run stability --data "$T/six.csv" --target value --out "$T/st6"
json "$T/st6/summary.json" "d['params']['m'] == 6 and d['params']['batch'] == 4 and d['params']['b-grid'] == '1,2,4' and d['params']['flat-runs'] == '0.5:1,0.5:4,1:4'"
expect 0 "batches of 23 pairs" -- run modadd --p 5 --optimizer sgd --steps 3 --width 8 --out "$T/ma"
json "$T/ma/summary.json" "d['params']['batch'] == 23"

# --out never touches what is not gdlab's: a user's entries named like a
# temporary of a dead process, a directory whose summary.json another tool
# wrote, a web root holding an index.html, a place no directory can be made
mkdir -p "$T/u/results.tmp.99999/deep" && echo precious > "$T/u/results.tmp.99999/deep/thesis.tex"
echo precious > "$T/u/out.tmp.99998"
mkdir "$T/u/old.tmp.99997" && echo precious > "$T/u/old.tmp.99997/notes.txt"
expect 0 "outputs in" -- run sgd-1d --replicas 100 --out "$T/u/results"
expect 0 "outputs in" -- run sgd-1d --replicas 100 --out "$T/u/out"
expect 0 "outputs in" -- run sgd-1d --replicas 100 --out "$T/u/old"
if [ "$(cat "$T/u/results.tmp.99999/deep/thesis.tex" "$T/u/out.tmp.99998" "$T/u/old.tmp.99997/notes.txt")" = "precious
precious
precious" ]; then ok "a user's entries named BASE.tmp.N are kept"; else bad "a user's BASE.tmp.N entries were removed: $(ls -R "$T/u")"; fi
mkdir "$T/u/run.tmp.99996" && : > "$T/u/run.tmp.99996/curve.csv"
expect 0 "outputs in" -- run sgd-1d --replicas 100 --out "$T/u/run"
if [ -e "$T/u/run.tmp.99996" ]; then bad "a dead process's run temporary was kept"; else ok "a dead process's run temporary (gdlab's files only) was removed"; fi
mkdir "$T/u/mydata" && echo '{"my": "notes"}' > "$T/u/mydata/summary.json" && echo a,b > "$T/u/mydata/train.csv"
expect 2 "it holds summary.json that gdlab did not write" -- run sgd-1d --replicas 100 --out "$T/u/mydata"
if [ -s "$T/u/mydata/train.csv" ]; then ok "another tool's run directory kept"; else bad "another tool's train.csv removed"; fi
mkdir "$T/u/web" && echo hi > "$T/u/web/index.html"
expect 2 "it holds index.html but no run directory" -- reproduce --out "$T/u/web"
if [ "$(cat "$T/u/web/index.html")" = hi ]; then ok "a web root's index.html kept"; else bad "index.html replaced"; fi
if [ -d /sys ] && ! mkdir /sys/.gdlab-test 2>/dev/null; then
  expect 2 "cannot create a directory in /sys" -- run sgd-1d --replicas 100 --out /sys/x
  "$G" sweep sgd-1d --grid eta=0.1,0.2 --steps 10 --replicas 0 --db "$T/u/p.sqlite" --out none >/dev/null
  expect 2 "plot: --out /sys/x: cannot create a directory in /sys" -- plot "$T/u/p.sqlite" --x eta --y loss_exact --out /sys/x
else echo "SKIP: /sys is writable here (or absent), so --out /sys/x is not a place no directory can be made"; fi

finish
