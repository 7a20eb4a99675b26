#!/bin/sh
# Reliability of gdlab sweep and its store: a sweep killed (SIGKILL) at
# random moments many times and resumed ends with the database of an
# uninterrupted run (every run exactly once); the same for 1 and 2
# workers; two sweeps at once on one database; damaged files give a clear
# error (exit 2), never a crash; query, export and plot.
# Usage: sweep.sh path/to/gdlab
G=${1:?usage: sweep.sh path/to/gdlab}
T=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
# the store's content without the run ids (which follow the order of commits)
dump() { "$G" export "$1" --csv | cut -d, -f2- | sort; }

SW="sgd-1d --grid eta=linspace(0.01,0.5,100) --grid steps=10,30 --seeds 2 --replicas 3000"
"$G" sweep $SW --db "$T/ref.sqlite" --workers 1 >/dev/null || bad "the reference sweep failed"
dump "$T/ref.sqlite" > "$T/ref.csv"
n=$(grep -c . "$T/ref.csv")
if [ "$n" -eq 401 ]; then ok "reference: 400 runs and a header"; else bad "reference has $n lines"; fi

"$G" sweep $SW --db "$T/w2.sqlite" --workers 2 >/dev/null
dump "$T/w2.sqlite" > "$T/w2.csv"
if cmp -s "$T/ref.csv" "$T/w2.csv"; then ok "2 workers store what 1 worker stores"; else bad "2 workers differ from 1"; fi

# SIGKILL at random moments, then resume until done.
kills=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
  "$G" sweep $SW --db "$T/k.sqlite" --workers 2 >/dev/null 2>&1 &
  p=$!
  sleep "0.0$(awk -v s="$i" 'BEGIN { srand(s); printf "%d", 1 + 8 * rand() }')"
  kill -9 "$p" 2>/dev/null && kills=$((kills + 1))
  wait "$p" 2>/dev/null
done
out=$("$G" sweep $SW --db "$T/k.sqlite" --workers 2)
dump "$T/k.sqlite" > "$T/k.csv"
if cmp -s "$T/ref.csv" "$T/k.csv"; then ok "killed $kills times and resumed: the reference database ($out)"
else bad "killed and resumed: differs from the reference"; fi
dup=$("$G" query "$T/k.sqlite" "SELECT count(*) - count(DISTINCT point || '|' || replica) FROM runs" | tail -1)
if [ "$dup" -eq 0 ]; then ok "no run stored twice"; else bad "$dup runs stored twice"; fi

# two sweeps at once on one database
"$G" sweep $SW --db "$T/c.sqlite" --workers 1 >/dev/null 2>&1 &
p1=$!
"$G" sweep $SW --db "$T/c.sqlite" --workers 1 >/dev/null 2>&1 &
p2=$!
wait "$p1"; r1=$?; wait "$p2"; r2=$?
dump "$T/c.sqlite" > "$T/c.csv"
if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && cmp -s "$T/ref.csv" "$T/c.csv"; then ok "two concurrent sweeps: the reference database"
else bad "two concurrent sweeps: exit $r1, $r2, or a different database"; fi

# damaged files
head -c 4096 /dev/urandom > "$T/garbage.sqlite"
"$G" query "$T/garbage.sqlite" "SELECT 1" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "not a gdlab store, or damaged" "$T/out"; then ok "random bytes: exit 2, $(cat "$T/out")"
else bad "random bytes: exit $rc, $(cat "$T/out")"; fi
head -c 3000 "$T/ref.sqlite" > "$T/trunc.sqlite"
"$G" sweep $SW --db "$T/trunc.sqlite" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "damaged" "$T/out"; then ok "a truncated store: exit 2, $(cat "$T/out")"
else bad "a truncated store: exit $rc, $(cat "$T/out")"; fi
"$G" query "$T/none.sqlite" "SELECT 1" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && [ ! -e "$T/none.sqlite" ]; then ok "query of a missing store: exit 2, nothing created"; else bad "query of a missing store: exit $rc"; fi

# query, export, plot
q=$("$G" query "$T/ref.sqlite" "SELECT count(*) FROM scalars WHERE name = 'loss_exact'" | tail -1)
if [ "$q" -eq 400 ]; then ok "query: 400 exact losses"; else bad "query: $q"; fi
"$G" query "$T/ref.sqlite" "SELEC 1" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q 'syntax error' "$T/out"; then ok "bad SQL: exit 2"; else bad "bad SQL: exit $rc"; fi
"$G" export "$T/ref.sqlite" --csv --out "$T/all.csv" && head -1 "$T/all.csv" | grep -q "loss_exact" && ok "export --csv --out" || bad "export"
"$G" plot "$T/ref.sqlite" --x eta --y loss_mc --by steps --out "$T/plot" >/dev/null && [ -s "$T/plot/plot.png" ] && ok "plot from the store" || bad "plot"
"$G" plot "$T/ref.sqlite" --x eta --y nosuch --out "$T/plot2" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "no ok run has both" "$T/out"; then ok "plot of a missing scalar: exit 2"; else bad "plot of a missing scalar: $rc"; fi
"$G" sweep sgd-1d --grid 'eta=0.1,9' --db "$T/bad.sqlite" >"$T/out" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "got 9 (out of range)" "$T/out" && [ ! -e "$T/bad.sqlite" ]; then ok "a bad grid value: exit 2 before anything runs"
else bad "a bad grid value: exit $rc"; fi
# MPI: 1, 2 and 4 ranks (oversubscribed on the loopback) store the reference database
if command -v mpirun >/dev/null 2>&1 && ! OMPI_COMM_WORLD_SIZE=2 "$G" sweep sgd-1d --grid eta=0.1 --db "$T/probe.sqlite" 2>&1 | grep -q "built without MPI"; then
  # Under the sanitizer build, leaks are not checked in the ranks: Open MPI's
  # runtime leaks from plugins it has unloaded, whose stacks cannot be
  # suppressed. Memory errors are still checked; gdlab's own allocations on
  # this path are those of the sweeps above.
  for n in 1 2 4; do
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" mpirun --allow-run-as-root --oversubscribe -n "$n" "$G" sweep $SW --db "$T/mpi$n.sqlite" --workers 1 >"$T/out" 2>&1; rc=$?
    dump "$T/mpi$n.sqlite" > "$T/mpi$n.csv"
    if [ "$rc" -eq 0 ] && cmp -s "$T/ref.csv" "$T/mpi$n.csv"; then ok "mpirun -n $n: the reference database"
    else bad "mpirun -n $n: exit $rc, or a different database: $(head -c 300 "$T/out")"; fi
  done
fi
OMPI_COMM_WORLD_SIZE=2 "$G" sweep sgd-1d --grid eta=0.1 --db "$T/mpi.sqlite" >"$T/out" 2>&1; rc=$?
if grep -q "built without MPI" "$T/out"; then
  if [ "$rc" -eq 2 ]; then ok "under mpirun without MPI: exit 2, says so"; else bad "without MPI: exit $rc"; fi
else echo "SKIP: this build has MPI, so the message for builds without it is not shown"; fi

finish
