#!/bin/sh
# Safety of the results store's commands (docs/store.md): query, export
# and plot never write (a store is opened read-only, a statement that
# writes is refused) and still read a store on read-only media; a file
# that is not a gdlab store is refused and left byte for byte as it was;
# only sweep creates a store, and only where no file is; the grid is
# bounded and its values distinct; a query stops at its time limit and on
# SIGINT; exit codes (3 for failed runs and a full disk); repeated flags
# and non-decimal numbers are refused.
# Read-only media and full disks are small tmpfs mounts: where mounting is
# not permitted those cases print SKIP with the reason.
# Usage: store_safety.sh path/to/gdlab
G=${1:?usage: store_safety.sh path/to/gdlab}
case "$G" in /*) ;; *) G="$PWD/$G" ;; esac
T=$(mktemp -d)
. "$(dirname "$0")/lib.sh"
sum() { sha256sum "$1" | cut -d' ' -f1; }
# unchanged FILE SUM WHAT: FILE's bytes still hash to SUM, and no -wal/-shm
# was left beside it.
unchanged() {
  if [ "$(sum "$1")" = "$2" ] && [ ! -e "$1-wal" ] && [ ! -e "$1-shm" ]; then ok "$3: $(basename "$1") unchanged, no -wal/-shm left"
  else bad "$3: $(basename "$1") changed (or a -wal/-shm left: $(ls "$1"-* 2>/dev/null))"; fi
}

S="$T/s.sqlite"
"$G" sweep sgd-1d --grid 'eta=0.1,0.2' --seeds 2 --db "$S" --out none --workers 1 >/dev/null || bad "the test store: sweep failed"
s0=$(sum "$S")

# 1. query, export and plot never write
for sql in "DELETE FROM runs" "DROP TABLE runs" "INSERT INTO meta VALUES('x', 'y')" "UPDATE runs SET status = 'x'" \
  "PRAGMA journal_mode=DELETE" "VACUUM INTO '$T/vac.db'" "CREATE TEMP TABLE t(a)" "PRAGMA user_version = 7"; do
  expect 2 "a statement that writes is refused" -- query "$S" "$sql"
done
expect 2 "ATTACH" -- query "$S" "ATTACH '$T/att.db' AS a"
expect 2 "one statement at a time (left over: ' DELETE FROM runs')" -- query "$S" "SELECT 1; DELETE FROM runs"
expect 0 "count(*)" -- query "$S" "SELECT count(*) FROM runs; -- a trailing comment /* and another */"
n=$("$G" query "$S" "SELECT count(*) FROM runs" | tail -1)
if [ "$n" = 4 ] && [ ! -e "$T/vac.db" ] && [ ! -e "$T/att.db" ]; then ok "after the refused statements: 4 runs, no file made"
else bad "after the refused statements: $n runs, vac.db/att.db: $(ls "$T" | grep -c 'vac.db\|att.db')"; fi
"$G" export "$S" --csv >/dev/null && "$G" plot "$S" --x eta --y loss_mc --out "$T/p" >/dev/null
unchanged "$S" "$s0" "query, export and plot (refused writes included)"
# export --out onto the store's own files, a device, a directory, a missing directory: exit 2, the store unchanged
for o in "$S" "$S-wal" "$S-journal" /dev/null "$T" "$T/nodir/x.csv"; do
  "$G" export "$S" --csv --out "$o" >"$T/out" 2>&1; rc=$?
  if [ "$rc" -eq 2 ] && grep -q "export: --out" "$T/out"; then ok "export --out $o: refused, exit 2"
  else bad "export --out $o: exit $rc, $(cat "$T/out")"; fi
done
unchanged "$S" "$s0" "export --out onto the store's own files"
if [ -e "$S-wal" ] || [ -e "$S-journal" ]; then bad "export left $S-wal or -journal"; else ok "export made no -wal or -journal"; fi
mkdir "$T/mine" && echo keep > "$T/mine/notes.txt"
expect 2 "plot: --out $T/mine: exists and is not a gdlab run directory (it holds notes.txt)" -- plot "$S" --x eta --y loss_mc --out "$T/mine"
if [ "$(cat "$T/mine/notes.txt")" = keep ] && [ "$(ls "$T/mine")" = notes.txt ]; then ok "plot left the user's directory as it was"
else bad "plot changed $T/mine: $(ls "$T/mine")"; fi
# read-only media
if mount_tmpfs 1m "$T/ro" "a store on read-only media"; then
  "$G" sweep sgd-1d --grid 'eta=0.1,0.2' --db "$T/ro/s.sqlite" --out none --workers 1 >/dev/null
  # a copy taken while a writer had changes in its log: store and -wal, no -shm
  cp "$S" "$T/w.sqlite"
  python3 -c "import sqlite3, shutil, sys
c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_autocheckpoint=0')
c.execute(\"UPDATE runs SET detail = 'in the log'\"); c.commit()
shutil.copy(sys.argv[1], sys.argv[2]); shutil.copy(sys.argv[1] + '-wal', sys.argv[2] + '-wal'); c.close()" "$T/w.sqlite" "$T/ro/w.sqlite"
  if mount -o remount,ro "$T/ro" 2>"$T/mnt.err"; then
    expect 2 "open it once where it can be written" -- query "$T/ro/w.sqlite" "SELECT count(*) FROM runs WHERE detail = 'in the log'"
    expect 0 "2" -- query "$T/ro/s.sqlite" "SELECT count(*) FROM runs"
    expect 0 "loss_mc" -- export "$T/ro/s.sqlite" --csv
    expect 0 "plot of loss_mc" -- plot "$T/ro/s.sqlite" --x eta --y loss_mc --out "$T/rop"
    expect 3 "cannot write the store: Read-only file system" -- sweep sgd-1d --grid 'eta=0.3' --db "$T/ro/s.sqlite" --out none --workers 1
    if [ -z "$(ls "$T/ro" | grep -v '^s.sqlite$\|^w.sqlite$\|^w.sqlite-wal$')" ]; then ok "read-only media: nothing beside the store"; else bad "read-only media: $(ls "$T/ro")"; fi
  else echo "SKIP: a store on read-only media: remount,ro refused ($(head -c 120 "$T/mnt.err"))"; fi
fi

# another user's store (not writable by this one, in a directory it can
# write): read without leaving a -wal/-shm in the owner's way
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
  mkdir "$T/shared" && cp "$S" "$T/shared/s.sqlite" && chmod 444 "$T/shared/s.sqlite" && chmod 777 "$T/shared" && chmod 755 "$T"
  n=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$G" query "$T/shared/s.sqlite" "SELECT count(*) FROM runs" 2>&1 | tail -1)
  setpriv --reuid=65534 --regid=65534 --clear-groups "$G" sweep sgd-1d --grid eta=0.3 --db "$T/shared/s.sqlite" --out none >"$T/out" 2>&1; rc=$?
  if [ "$n" = 4 ] && [ "$rc" -eq 3 ] && grep -q "Permission denied" "$T/out" && [ "$(ls "$T/shared")" = s.sqlite ]; then
    ok "another user's store: read (4 runs), a sweep refused (exit 3), nothing left beside it"
  else bad "another user's store: $n runs, sweep exit $rc, beside it: $(ls "$T/shared")"; fi
else echo "SKIP: another user's store: needs root and setpriv to run as nobody"; fi

# 2. a file that is not a gdlab store is never changed
: > "$T/notes.txt"
expect 2 "not a gdlab store" -- query "$T/notes.txt" "SELECT 1"
expect 2 "not a gdlab store" -- export "$T/notes.txt" --csv
expect 2 "not a gdlab store" -- plot "$T/notes.txt" --x eta --y loss --out "$T/p5"
expect 2 "not a gdlab store" -- sweep sgd-1d --grid eta=0.1 --db "$T/notes.txt" --out none
if [ -f "$T/notes.txt" ] && [ ! -s "$T/notes.txt" ] && [ ! -e "$T/notes.txt-wal" ] && [ ! -e "$T/notes.txt.runs" ]; then ok "an empty file: still 0 bytes, nothing beside it"
else bad "an empty file: $(wc -c < "$T/notes.txt") bytes now, beside it: $(ls "$T" | grep notes)"; fi
if command -v python3 >/dev/null 2>&1; then
  for mode in delete wal; do
    O="$T/other-$mode.db"
    python3 -c "import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=$mode')
c.execute('CREATE TABLE t(a)'); c.execute('INSERT INTO t VALUES(1)'); c.commit(); c.close()" "$O"
    # (a read-write connection, which removes the -wal and -shm it made as it closes)
    jm() { python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('PRAGMA journal_mode').fetchone()[0]); c.close()" "$1"; }
    o0=$(sum "$O") j0=$(jm "$O")
    expect 2 "not a gdlab store" -- query "$O" "SELECT * FROM t"
    expect 2 "not a gdlab store" -- export "$O" --csv
    expect 2 "not a gdlab store" -- plot "$O" --x a --y a --out "$T/p2"
    expect 2 "not a gdlab store" -- sweep sgd-1d --grid eta=0.1 --db "$O" --out none
    unchanged "$O" "$o0" "another program's SQLite database ($mode journal)"
    if [ "$(jm "$O")" = "$j0" ]; then ok "its journal mode is still $j0"; else bad "its journal mode was $j0, is $(jm "$O")"; fi
  done
  cp "$S" "$T/nometa.sqlite"
  python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM meta'); c.commit(); c.close()" "$T/nometa.sqlite"
  m0=$(sum "$T/nometa.sqlite")
  expect 2 "not a gdlab store" -- query "$T/nometa.sqlite" "SELECT 1"
  expect 2 "not a gdlab store" -- sweep sgd-1d --grid eta=0.1 --db "$T/nometa.sqlite" --out none
  unchanged "$T/nometa.sqlite" "$m0" "a store without its meta rows: refused, not re-stamped"
  cp "$S" "$T/v1abc.sqlite"
  python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE meta SET value = '1abc' WHERE key = 'schema_version'\"); c.commit(); c.close()" "$T/v1abc.sqlite"
  expect 2 "schema_version" -- query "$T/v1abc.sqlite" "SELECT 1"
  expect 2 "schema_version" -- sweep sgd-1d --grid eta=0.1 --db "$T/v1abc.sqlite" --out none
  cp "$S" "$T/noclaims.sqlite"
  python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('DROP TABLE claims'); c.commit(); c.close()" "$T/noclaims.sqlite"
  c0=$(sum "$T/noclaims.sqlite")
  expect 2 "no claims table" -- sweep sgd-1d --grid eta=0.1 --db "$T/noclaims.sqlite" --out none
  unchanged "$T/noclaims.sqlite" "$c0" "a store without its claims table: refused, not repaired"
else echo "SKIP: python3 is needed to make another program's SQLite database"; fi
# a name SQLite could read as a URI is a file name
(cd "$T" && "$G" sweep sgd-1d --grid eta=0.1 --db 'file:u.sqlite' --out none --workers 1 >/dev/null 2>"$T/out"); rc=$?
if [ "$rc" -eq 0 ] && [ -s "$T/file:u.sqlite" ] && [ -z "$(ls "$T" | grep 'u.sqlite.new')" ]; then ok "--db file:u.sqlite is the file file:u.sqlite"
else bad "--db file:u.sqlite: exit $rc, $(head -c 200 "$T/out"), $(ls "$T" | grep u.sqlite)"; fi
# two sweeps creating one new store at once both work
"$G" sweep sgd-1d --grid 'eta=linspace(0.1,0.5,20)' --db "$T/new.sqlite" --out none --workers 1 >"$T/c1.txt" 2>&1 & p1=$!
"$G" sweep sgd-1d --grid 'eta=linspace(0.1,0.5,20)' --db "$T/new.sqlite" --out none --workers 1 >"$T/c2.txt" 2>&1 & p2=$!
wait "$p1"; r1=$?; wait "$p2"; r2=$?
n=$("$G" query "$T/new.sqlite" "SELECT count(*) FROM runs" | tail -1)
if [ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] && [ "$n" = 20 ]; then ok "two sweeps creating one store at once: both exit 0, 20 runs"
else bad "two sweeps creating one store: exit $r1, $r2, $n runs: $(cat "$T/c1.txt" "$T/c2.txt" | head -c 300)"; fi

# 3. the grid is bounded, its values distinct
expect 2 "the grid has 10000000000 points x 1 seeds; at most 1000000 runs" -- \
  sweep sgd-1d --grid 'eta=linspace(0.01,0.5,100000)' --grid 'steps=range(1,100001)' --db "$T/big.sqlite"
expect 2 "the grid has 1000 points x 1001 seeds; at most 1000000 runs" -- \
  sweep sgd-1d --grid 'eta=linspace(0.01,0.5,1000)' --seeds 1001 --db "$T/big.sqlite"
expect 2 "--grid eta: the value 0.1 is given twice" -- sweep sgd-1d --grid 'eta=0.1,0.1' --db "$T/big.sqlite"
expect 2 "--grid eta: the value 1e-1 is given twice" -- sweep sgd-1d --grid 'eta=0.1,0.2,1e-1' --db "$T/big.sqlite"
expect 2 "--grid eta: the value 0.1 is given twice" -- sweep sgd-1d --grid 'eta=linspace(0.1,0.1,3)' --db "$T/big.sqlite"
expect 2 "--grid eta: given twice" -- sweep sgd-1d --grid 'eta=0.1' --grid 'eta=0.2' --db "$T/big.sqlite"
if [ ! -e "$T/big.sqlite" ]; then ok "no store made by the refused grids"; else bad "a refused grid made $T/big.sqlite"; fi

# 4. a query stops at its time limit, and on SIGINT
REC="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
t0=$(date +%s)
expect 3 "query: stopped after 1 s (--timeout SECONDS raises the limit)" -- query "$S" "$REC" --timeout 1
if [ $(($(date +%s) - t0)) -le 5 ]; then ok "--timeout 1 stops within 5 s"; else bad "--timeout 1 took $(($(date +%s) - t0)) s"; fi
timeout -s KILL 20 "$G" query "$S" "$REC" >"$T/out" 2>&1 & p=$!
sleep 1; kill -INT "$p"; wait "$p"; rc=$?
if [ "$rc" -eq 3 ] && grep -q "interrupted" "$T/out"; then ok "SIGINT stops a query: exit 3, $(cat "$T/out")"
else bad "SIGINT: exit $rc, $(head -c 200 "$T/out")"; fi
expect 2 "--timeout" -- query "$S" "SELECT 1" --timeout 0x10
expect 2 "--timeout: given twice" -- query "$S" "SELECT 1" --timeout 1 --timeout 2
expect 0 "1" -- query "$S" "SELECT 1" --timeout 0

# 5. exit codes: failed runs, a full disk
expect 3 "2 of 2 runs failed" -- sweep balancing --grid 'A=foo,bar' --db "$T/fail.sqlite" --out none --workers 1
if mount_tmpfs 256k "$T/full2" "a full disk under the store"; then
  "$G" sweep sgd-1d --grid 'eta=linspace(0.01,0.5,1000)' --db "$T/full2/s.sqlite" --out none --workers 1 >"$T/out" 2>&1; rc=$?
  if [ "$rc" -eq 3 ] && grep -q "full2/s.sqlite.*\(database or disk is full\|No space left on device\)" "$T/out"; then
    ok "a store filling its disk: exit 3, $(cat "$T/out")"
  else bad "a store filling its disk: exit $rc, $(head -c 300 "$T/out")"; fi
  n=$("$G" query "$T/full2/s.sqlite" "SELECT count(*) FROM runs" 2>&1 | tail -1)
  case "$n" in [1-9]*) ok "the runs stored before the disk filled can be read ($n)";; *) bad "after a full disk: $n";; esac
fi
if mount_tmpfs 64k "$T/full" "a full disk"; then
  expect 3 "No space left on device" -- sweep sgd-1d --grid 'eta=linspace(0.01,0.5,300)' --db "$T/runs.sqlite" --out "$T/full/runs" --workers 1
  rm -rf "$T/full/"*
  dd if=/dev/zero of="$T/full/fill" bs=1k count=100 2>/dev/null
  expect 3 "new.sqlite" -- sweep sgd-1d --grid 'eta=0.1' --db "$T/full/new.sqlite" --out none --workers 1
  expect 3 "x.csv" -- export "$S" --csv --out "$T/full/x.csv"
  if [ -z "$(ls "$T/full" | grep -v '^fill$')" ]; then ok "a full disk: no store, CSV or temporary left"
  else bad "a full disk: left $(ls "$T/full")"; fi
fi
if [ -w /dev/full ]; then
  "$G" export "$S" --csv >/dev/full 2>"$T/out"; rc=$?
  if [ "$rc" -eq 3 ] && [ "$(grep -c "cannot write the standard output: No space left on device" "$T/out")" -eq 1 ]; then
    ok "export to a full stdout: exit 3, said once"; else bad "export to a full stdout: exit $rc, $(cat "$T/out")"; fi
  "$G" query "$S" "SELECT * FROM runs" >/dev/full 2>"$T/out"; rc=$?
  if [ "$rc" -eq 3 ] && [ "$(grep -c "cannot write the standard output: No space left on device" "$T/out")" -eq 1 ]; then
    ok "query to a full stdout: exit 3, said once"; else bad "query to a full stdout: exit $rc, $(cat "$T/out")"; fi
  "$G" sweep sgd-1d --grid 'eta=0.1' --db "$T/stdout.sqlite" --out none --workers 1 >/dev/full 2>"$T/out"; rc=$?
  if [ "$rc" -eq 3 ] && [ "$(grep -c "cannot write the standard output: No space left on device" "$T/out")" -eq 1 ]; then
    ok "sweep to a full stdout: exit 3, said once"; else bad "sweep to a full stdout: exit $rc, $(cat "$T/out")"; fi
fi

# 6. repeated flags, numbers
expect 2 "--db: given twice" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --db "$T/b.sqlite"
expect 2 "--workers: given twice" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --workers 1 --workers 2
expect 2 "--out: given twice" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --out "$T/o1" --out "$T/o2"
expect 2 "--seeds: given twice" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --seeds 1 --seeds 2
expect 2 "--steps: given twice" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --steps 10 --steps 20
expect 2 "--x: given twice" -- plot "$S" --x eta --x steps --y loss_mc --out "$T/p3"
expect 2 "--out: given twice" -- plot "$S" --x eta --y loss_mc --out "$T/p3" --out "$T/p4"
expect 2 "--out: given twice" -- export "$S" --csv --out "$T/e1.csv" --out "$T/e2.csv"
expect 2 "--grid eta" -- sweep sgd-1d --grid 'eta=linspace(0x1,2,3)' --db "$T/a.sqlite"
expect 2 "--grid noise" -- sweep sgd-1d --grid 'noise=linspace(1e-400,1,2)' --db "$T/a.sqlite"
expect 2 "--grid eta" -- sweep sgd-1d --grid 'eta=logspace(1e-300,1e300,3)' --db "$T/a.sqlite"
expect 2 "--seeds" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --seeds 0x10
expect 2 "--workers" -- sweep sgd-1d --grid eta=0.1 --db "$T/a.sqlite" --workers 1e-400
if [ ! -e "$T/a.sqlite" ] && [ ! -e "$T/o1" ] && [ ! -e "$T/p3" ] && [ ! -e "$T/e1.csv" ]; then ok "nothing made by the refused commands"
else bad "a refused command made a file: $(ls "$T")"; fi

finish
