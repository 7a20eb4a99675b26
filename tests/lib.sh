# Shared by the command-line test scripts (sourced after G, the gdlab
# binary, and T, a scratch directory, are set): one PASS, FAIL or SKIP line
# per check and the closing line "N passed, N failed" that ctest and CI read;
# T (and any tmpfs mounted in it) removed on exit.
pass=0 fail=0
MOUNTS=""
# On exit: the tmpfs mounts made by mount_tmpfs, then the scratch directory.
cleanup() {
  for m in $MOUNTS; do umount "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# mount_tmpfs SIZE DIR WHAT: a tmpfs of SIZE at DIR (unmounted on exit), or
# a SKIP line saying why WHAT is not checked (returns 1): mounting needs root.
mount_tmpfs() {
  mkdir -p "$2"
  if mount -t tmpfs -o "size=$1" tmpfs "$2" 2>"$T/mnt.err"; then MOUNTS="$2 $MOUNTS"; return 0; fi
  echo "SKIP: $3: cannot mount a tmpfs here ($(head -c 120 "$T/mnt.err"))"
  return 1
}

ok() { pass=$((pass + 1)); echo "PASS: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; }

# expect CODE NEEDLE -- ARGS...: gdlab ARGS exits with CODE and says NEEDLE
# (stdout and stderr), killed after 120 s; with MAX_SECONDS set, within that
# many seconds too (a refusal that computes first is a defect).
expect() {
  code=$1 needle=$2; shift 3
  t0=$(date +%s)
  timeout -s KILL 120 "$G" "$@" >"$T/out" 2>&1; rc=$?
  dt=$(($(date +%s) - t0))
  if [ "$rc" -eq "$code" ] && grep -qF -- "$needle" "$T/out" && [ "$dt" -le "${MAX_SECONDS:-120}" ]; then
    ok "gdlab $* -> $rc${MAX_SECONDS:+ in $dt s}, says '$needle'"
  else bad "gdlab $* -> $rc in $dt s (want $code and '$needle'), output: $(head -c 300 "$T/out")"; fi
}

# finish: the closing line; the script's exit status is the verdict.
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
