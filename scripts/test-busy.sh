#!/usr/bin/env bash
# The whole suite on a busy machine (issue 10): `npm test` while one CPU
# burner per core keeps every core busy. Tests hold no wall-clock thresholds,
# so this must pass as the quiet run does; it takes about twice as long.
# Each burner is bounded (BUSY_SECONDS, default 45 min) and ended on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
cores=$(nproc)
seconds=${BUSY_SECONDS:-2700}
burners=()
trap 'kill "${burners[@]}" 2>/dev/null || true' EXIT
for _ in $(seq "$cores"); do timeout "$seconds" sh -c 'while :; do :; done' & burners+=("$!"); done
echo "test:busy: ${cores} CPU burner(s) running for at most ${seconds} s beside npm test" >&2
start=$(date +%s)
log=$(mktemp)
set +e
npm test 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
took=$(( $(date +%s) - start ))
load=$(cut -d' ' -f1-3 /proc/loadavg)
# vitest's summary lines, without colour codes: "Test Files  90 passed (90)", "Tests  905 passed (905)".
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *(Test Files|Tests) ' | sed 's/^ */- /' || true)
failed=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ FAIL ' | sed 's/^ FAIL  */  - /' | sort -u || true)
rm -f "$log"
echo "test:busy: npm test exited ${rc} after ${took} s with ${cores} burner(s) beside it (load ${load})" >&2
# The record README links to; written only by this script.
{
  echo "# The suite on a busy machine"
  echo
  echo "Written by \`npm run test:busy\` (scripts/test-busy.sh); do not edit by hand."
  echo
  echo "- Date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- Machine: nproc ${cores}, ${cores} CPU burner(s) beside the suite; load average at the end ${load}"
  echo "- \`npm test\` exit code ${rc}, ${took} s"
  echo "${summary}"
  if [ -n "$failed" ]; then
    echo "- Failed:"
    echo "$failed"
  fi
} > bench/TEST-BUSY.md
exit "$rc"
