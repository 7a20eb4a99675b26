# Shared by the command-line test scripts (sourced after G, the gdlab
# binary, and T, a scratch directory, are set): one PASS, FAIL or SKIP line
# per check and the closing line "N passed, N failed" that ctest and CI read.
pass=0 fail=0
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
