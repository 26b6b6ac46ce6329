#!/usr/bin/env bash
# Load: wrk on authenticated /status for SECONDS (default 60) with 100 managed containers, while a
# churn loop deploys and removes other tools through the API the whole time. Breach: any non-2xx
# or socket error, a failed churn operation, or anonymous RSS (the heap, where a leak lives; code
# pages come back as paths run for the first time) growing by 1 MB or more. Loopback only.
#   scripts/chaos/load.sh [seconds, default 60] [tools, default 100]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

seconds=${1:-60}
tools=${2:-100}
port=30780
ensure_packages curl wrk python3 docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build
trap bench_cleanup EXIT
bench_start_dtma "$port"
dtma_pid=$DTMA_PID
bench_deploy "$port" 0 "$tools"
churn_once() {
    local name="$BENCH_TAG-churn-$1" deploy remove
    deploy=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$port/tools" -d "{\"dockerImageUrl\":\"dtma-test/busybox:latest\",\"instanceNameOnToolbox\":\"$name\",
        \"accountToolInstanceId\":\"$name\",\"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},\"probe\":{\"transport\":\"none\"},
        \"resources\":{\"memoryMB\":16},\"baseConfigOverrideJson\":{\"Cmd\":[\"sleep\",\"3600\"]}}")
    remove=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/tools/$name")
    [ "$deploy" = 201 ] && [ "$remove" = 200 ]
}
churn_once warm || die "churn does not work before the load"

# load_for SECONDS LOG: wrk on /status and the churn loop side by side; prints wrk's report.
load_for() {
    local seconds=$1 churn_log=$2 churn_pid
    (
        end=$((SECONDS + seconds))
        i=0
        while [ $SECONDS -lt "$end" ]; do
            i=$((i + 1))
            if churn_once "$seconds-$i"; then echo ok; else echo failed; fi
        done >"$churn_log"
    ) &
    churn_pid=$!
    wrk -t1 -c4 -d"${seconds}s" --latency -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/status"
    wait "$churn_pid"
}

churn_log=$(mktemp)
# Warm-up with the same work, so that what is measured is growth, not the heap finding its size
# (measured: +1.7, +0.4, +1.2 MB in the first three 30-s rounds, then +50 to +80 kB a round).
log "warm-up: 120 s of the same load"
load_for 120 "$churn_log" >/dev/null
sleep 2
rss_before=$(rss_anon_kb "$dtma_pid")
log "wrk on /status for $seconds s with $tools tools, churn alongside"
out=$(load_for "$seconds" "$churn_log")
sleep 2
rss_after=$(rss_anon_kb "$dtma_pid")

p99=$(echo "$out" | awk '/^ +99%/ { print $2 }')
rps=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
socket_errors=$(echo "$out" | awk '/Socket errors/ { print $0 }')
churned=$(grep -c ok "$churn_log" || true)
churn_failed=$(grep -c failed "$churn_log" || true)
rm -f "$churn_log"
growth=$((rss_after - rss_before))

breaches=()
[ -z "$non2xx" ] || breaches+=("$non2xx non-2xx answers")
[ -z "$socket_errors" ] || breaches+=("$socket_errors")
[ "$churn_failed" -eq 0 ] || breaches+=("$churn_failed churn operations failed")
[ "$growth" -lt 1024 ] || breaches+=("anonymous RSS grew by $growth kB")
kill -0 "$dtma_pid" 2>/dev/null || breaches+=("dtma died")

verdict="/status under wrk -c4 for $seconds s with $tools tools: $rps req/s, p99 $p99, errors ${non2xx:-0}; churn: $churned deploy+remove pairs, $churn_failed failed; anonymous RSS $rss_before → $rss_after kB ($growth kB)"
if [ ${#breaches[@]} -gt 0 ]; then
    printf 'BREACH: %s\n' "${breaches[@]}" >&2
    echo "FAIL $verdict"
    exit 1
fi
echo "PASS $verdict"
