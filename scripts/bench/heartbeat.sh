#!/usr/bin/env bash
# Heartbeat cost and memory under failure, against a real HTTPS control plane stand-in
# (Tests/Support/Fixtures/control_plane.py, TLS with its own CA):
#   1. CPU time and bytes of one heartbeat with 100 tools (dtma's whole CPU over many beats, so an upper bound);
#   2. anonymous RSS (the heap, where a leak lives) over SOAK_MINUTES (default 10) of heartbeats failing
#      every second: should stay flat (±1 MB).
#   scripts/bench/heartbeat.sh [soak minutes]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

soak_minutes=${1:-10}
ensure_packages curl openssl python3 docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build

fixture_dir=$(mktemp -d)
trap 'bench_cleanup; rm -rf "$fixture_dir"' EXIT
bench_start_control_plane "$fixture_dir"

log "1. one heartbeat with 100 tools"
bench_start_dtma 30560 AGENTOPIA_API_BASE_URL="https://127.0.0.1:$CONTROL_PLANE_PORT" DTMA_BEARER_TOKEN=bench-token \
    DTMA_CONTROL_PLANE_CA_FILE="$fixture_dir/ca.pem" DTMA_HEARTBEAT_INTERVAL_SECONDS=0.2
bench_deploy 30560 0 100
sleep 5
beats() { grep -c '"/heartbeat"' "$fixture_dir/requests.jsonl"; }
ticks0=$(cpu_ticks "$DTMA_PID")
beats0=$(beats)
sleep 20
ticks1=$(cpu_ticks "$DTMA_PID")
beats1=$(beats)
python3 - "$fixture_dir/requests.jsonl" "$((ticks1 - ticks0))" "$((beats1 - beats0))" "$(getconf CLK_TCK)" <<'PY'
import json, sys
path, ticks, beats, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(path) if '"/heartbeat"' in l]
last = [r for r in rows if len(json.loads(r["body"]).get("tool_statuses", [])) == 100]
size = sum(len(r["body"].encode()) for r in last) / max(1, len(last))
print(f"heartbeats with 100 tools: {beats} in 20 s; dtma CPU {ticks / hz * 1000:.0f} ms in all, "
      f"{ticks / hz * 1000 / max(1, beats):.2f} ms per beat (upper bound: includes everything else dtma did); "
      f"body {size / 1024:.1f} KiB per beat")
PY
kill "$DTMA_PID"

log "2. anonymous RSS over $soak_minutes min of failing heartbeats (refused connections, one a second)"
bench_start_dtma 30561 AGENTOPIA_API_BASE_URL="https://127.0.0.1:9" DTMA_BEARER_TOKEN=bench-token \
    DTMA_HEARTBEAT_INTERVAL_SECONDS=1 DTMA_HEARTBEAT_MAX_BACKOFF_SECONDS=1
sleep 10
samples=()
end=$(( $(date +%s) + soak_minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
    samples+=("$(rss_anon_kb "$DTMA_PID")")
    sleep 30
done
samples+=("$(rss_anon_kb "$DTMA_PID")")
failures=$(curl -sf -H "Authorization: Bearer $BENCH_KEY" http://127.0.0.1:30561/status | python3 -c 'import json,sys; print(json.load(sys.stdin)["heartbeat"]["consecutive_failures"])')
printf '%s\n' "${samples[@]}" | awk -v failures="$failures" '
    NR == 1 { first = $1; min = $1; max = $1 } { last = $1; if ($1 < min) min = $1; if ($1 > max) max = $1 }
    END {
        printf "anonymous RSS (the heap) over %d samples: first %.1f MB, min %.1f, max %.1f, last %.1f; spread %.2f MB after %d failed heartbeats -> %s\n",
            NR, first / 1024, min / 1024, max / 1024, last / 1024, (max - min) / 1024, failures, ((max - min) <= 1024 ? "flat" : "GROWING")
    }'
