#!/usr/bin/env bash
# Every reliability check at full length, one after another, each printing its one-line verdict;
# exits non-zero if any breached. About an hour, most of it the outage soak and the sanitizer
# builds. scripts/test.sh runs short versions of the kill loop, the engine restarts and bad input.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
failed=0
run() {
    local log status
    log=$(mktemp)
    echo "== $*"
    "$@" >"$log" 2>&1
    status=$?
    grep -E '^(PASS|FAIL|BREACH)|Done [0-9]+ runs|stat::' "$log" || tail -n 5 "$log"
    [ "$status" -eq 0 ] || failed=1
    rm -f "$log"
}
run scripts/chaos/agent-kill.sh 10
run scripts/chaos/engine-restart.sh 3
run scripts/chaos/control-plane-outage.sh 600 10
run scripts/chaos/load.sh 60 100
run scripts/chaos/bad-input.sh 300
run scripts/chaos/flood.sh 120
run scripts/fuzz.sh 1000000
run scripts/chaos/sanitizers.sh
exit $failed
