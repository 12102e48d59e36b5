#!/usr/bin/env bash
# The test gate's own test (issue #13): `npm test` must exit non-zero when a test fails.
# Runs the deliberately failing probe (test/gate/failing-probe.ts) through `npm test`
# with DATABASE_URL unset (the embedded PostgreSQL path a clean clone takes) and, when
# a PostgreSQL answers at $GATE_DATABASE_URL, with it set; each run must fail, and
# fail because of the probe. Exit 0 when the gate holds, 1 when it does not.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failures=0

probe() { # $1: label; the rest: env assignments
  local label=$1; shift
  env "$@" SWITCHYARD_GATE_PROBE=1 npm test >"$log" 2>&1
  local status=$?
  if [ "$status" -eq 0 ]; then
    echo "test gate BROKEN ($label): a failing test left 'npm test' with exit status 0"
    tail -n 20 "$log"
    failures=$((failures + 1))
  elif ! grep -q "fails on purpose" "$log" || ! grep -Eq "Tests .*1 failed" "$log"; then
    echo "test gate probe did not run as expected ($label, exit status $status):"
    tail -n 40 "$log"
    failures=$((failures + 1))
  else
    echo "test gate ok ($label): the failing probe made 'npm test' exit $status"
  fi
}

probe "DATABASE_URL unset, embedded PostgreSQL" -u DATABASE_URL
gate_db=${GATE_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
if node -e 'const s=require("net").connect({host:"127.0.0.1",port:Number(new URL(process.argv[1]).port||5432)});s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),2000)' "$gate_db" 2>/dev/null; then
  probe "DATABASE_URL set" DATABASE_URL="$gate_db"
else
  echo "test gate: no PostgreSQL at $gate_db; the DATABASE_URL path was not probed"
fi
exit $((failures > 0))
