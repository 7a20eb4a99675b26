#!/bin/sh
# Every documented exit code of gdlab run and reproduce, reached through the
# command line: 0 success, 1 a claim refuted under --strict, 2 bad usage or
# input (nothing written), 3 a runtime failure (a full disk, out of memory,
# a standard output that cannot be written). Also: SIGTERM during the write
# removes the temporary and the process dies of the signal. (The store
# commands, sweep/query/export/plot, are tested by sweep.sh.)
# Usage: exit_codes.sh path/to/gdlab
G=${1:?usage: exit_codes.sh path/to/gdlab}
case "$G" in /*) ;; *) G="$PWD/$G" ;; esac
T=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
# nothing_at PATH: neither PATH nor a temporary PATH.tmp.* exists
nothing_at() {
  for f in "$1" "$1".tmp.*; do [ -e "$f" ] && return 1; done
  return 0
}

# 0: a run, and a refuted claim without --strict.
expect 0 "claims:" -- run sgd-1d --replicas 0 --out "$T/ok"
# 1: the seed claims of sgd-1d are refuted at its defaults (the formulas of
# seed 001 are wrong on purpose); --strict turns that into exit 1.
expect 1 "[refuted]" -- run sgd-1d --replicas 0 --strict --out "$T/refuted"
if [ -s "$T/refuted/summary.json" ]; then ok "a refuted run under --strict still writes its outputs"; else bad "--strict run wrote nothing"; fi

# 2: bad usage and bad input, nothing written.
expect 2 "usage: gdlab" --
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "--eta: expected" -- run sgd-1d --eta 7 --out "$T/bad"
expect 2 "--eta: given twice (0.1, then 0.2)" -- run sgd-1d --eta 0.1 --eta 0.2 --out "$T/bad"
expect 2 "no-such.csv: cannot open: No such file or directory" -- fit "$T/no-such.csv" --out "$T/bad"
expect 2 "not a regular file" -- fit "$T" --out "$T/bad"
mkdir "$T/mine" && echo "mine" > "$T/mine/notes.txt"
expect 2 "--out $T/mine: exists and is not a gdlab run directory (it holds notes.txt)" -- run sgd-1d --replicas 0 --out "$T/mine"
expect 2 "--out $T/mine/notes.txt/x: Not a directory" -- run sgd-1d --replicas 0 --out "$T/mine/notes.txt/x"
expect 2 "--out $T/mine/notes.txt/x: Not a directory" -- reproduce --out "$T/mine/notes.txt/x"
if nothing_at "$T/bad" && [ "$(ls "$T/mine")" = notes.txt ]; then ok "exit 2 wrote nothing"; else bad "exit 2 left output"; fi

# 3: the standard output cannot be written.
if [ -w /dev/full ]; then
  "$G" run sgd-1d --replicas 0 --json >/dev/full 2>"$T/err"; rc=$?
  if [ "$rc" -eq 3 ] && grep -q "cannot write the standard output: No space left on device" "$T/err"
  then ok "--json > /dev/full -> 3, says why"; else bad "--json > /dev/full -> $rc: $(cat "$T/err")"; fi
else
  skip "no writable /dev/full"
fi

# 3: a full disk, on a 64 KiB tmpfs (needs mount: root, or skipped).
if mount_tmpfs 64k "$T/small" "the full-disk checks"; then
  "$G" run sgd-1d --replicas 0 --out "$T/small/run" >"$T/out" 2>&1; rc=$?
  if [ "$rc" -eq 3 ] && grep -q "No space left on device" "$T/out"; then ok "full disk -> 3, says 'No space left on device'"
  else bad "full disk -> $rc (want 3): $(head -c 300 "$T/out")"; fi
  if nothing_at "$T/small/run" && [ -z "$(ls -A "$T/small")" ]; then ok "full disk: nothing left on it (no run, no run.tmp.*)"
  else bad "full disk left: $(ls -A "$T/small")"; fi
  # reproduce on the full disk: exit 3 as well (it stops at the first
  # experiment's directory), nothing left.
  "$G" reproduce --out "$T/small/rep" >"$T/out" 2>&1; rc=$?
  if [ "$rc" -eq 3 ] && grep -q "No space left on device" "$T/out" && [ -z "$(ls -A "$T/small/rep" 2>/dev/null)" ]
  then ok "reproduce on a full disk -> 3, nothing left in its directory"
  else bad "reproduce on a full disk -> $rc: $(tail -c 300 "$T/out")"; fi
  umount "$T/small"
  # A disk with room for one sgd-1d run (about 400 KiB) but not for a second
  # beside it: the second run fails with 3 and the first stays whole.
  if mount_tmpfs 600k "$T/mid" "a full disk over an earlier run"; then
    if "$G" run sgd-1d --replicas 0 --out "$T/mid/run" >/dev/null 2>&1 && [ -s "$T/mid/run/summary.json" ]; then
      "$G" run sgd-1d --replicas 0 --g "1/2" --out "$T/mid/run" >"$T/out" 2>&1; rc=$?
      if [ "$rc" -eq 3 ] && grep -q "No space left on device" "$T/out" && [ -s "$T/mid/run/summary.json" ] &&
         [ ! -e "$T/mid/run/g_check.csv" ] && [ "$(ls -A "$T/mid")" = run ]
      then ok "full disk over an earlier run -> 3, the earlier run left whole, no temporary"
      else bad "full disk over an earlier run -> $rc: $(ls -A "$T/mid" "$T/mid/run")"; fi
    else
      skip "an sgd-1d run does not fit in 600 KiB here"
    fi
    umount "$T/mid"
  fi
fi

# 3: out of memory, under a virtual-memory limit: sgd-diag at width 1e8
# allocates about 2.4 GB at once. Skipped where the limit cannot be set or a
# small run does not start under it.
if (ulimit -v 400000) 2>/dev/null && (ulimit -v 400000; "$G" run sgd-diag --width 100 --steps 1 --replicas 0 --threads 1 --out none) >/dev/null 2>&1; then
  (ulimit -v 400000; "$G" run sgd-diag --width 100000000 --steps 1 --replicas 0 --threads 1 --out "$T/oom") >"$T/out" 2>&1; rc=$?
  if [ "$rc" -eq 3 ] && grep -q "out of memory" "$T/out" && nothing_at "$T/oom"; then ok "out of memory -> 3, says so, writes nothing"
  else bad "out of memory -> $rc: $(head -c 300 "$T/out")"; fi
else
  skip "ulimit -v 400000 is not usable here"
fi

# SIGTERM while the run writes its directory: the temporary is removed and
# the process dies of the signal (status 143). The write phase is short:
# the test polls for the temporary and skips if it never saw it.
"$G" run eos --subset 300 --hidden 30 --steps 120 --eig-every 20 --density-probes 2 --out "$T/sig" >/dev/null 2>&1 &
pid=$!
seen=0 i=0
while [ $i -lt 200000 ]; do
  if [ -d "$T/sig.tmp.$pid" ]; then kill -TERM "$pid"; seen=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  i=$((i + 1))
done
wait "$pid"; rc=$?
if [ "$seen" -eq 1 ]; then
  if [ "$rc" -eq 143 ] && nothing_at "$T/sig.tmp.$pid" && [ ! -e "$T/sig.tmp.$pid" ]; then ok "SIGTERM while writing: status 143, no $T/sig.tmp.$pid left"
  else bad "SIGTERM while writing: status $rc, left: $(ls -d "$T"/sig* 2>/dev/null)"; fi
else
  skip "the write phase ended before the poll saw $T/sig.tmp.$pid (status $rc)"
fi
# A temporary of a dead process (the one just killed, or a made-up one) is
# removed by the next run into the same place.
mkdir -p "$T/sig.tmp.$pid" && echo half > "$T/sig.tmp.$pid/train.csv"
expect 0 "eos-band" -- run eos --subset 300 --hidden 30 --steps 120 --eig-every 20 --out "$T/sig"
if [ ! -e "$T/sig.tmp.$pid" ] && [ -s "$T/sig/summary.json" ]; then ok "the next run removed the dead process's $T/sig.tmp.$pid"
else bad "stale $T/sig.tmp.$pid left"; fi

finish
