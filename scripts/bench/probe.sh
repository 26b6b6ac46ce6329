#!/usr/bin/env bash
# MCP probe figures, in one run:
#  1. latency per transport (p50/p99) of dtma's probe beside the official Python MCP client doing
#     the same exchange against the same server (loopback servers from PyPI's `mcp`; stdio in a
#     container, dtma attached through the engine, Python through `docker attach`);
#  2. dtma's CPU time while its scheduler probes 50 containerised MCP servers every second,
#     scaled to "100 servers every 10 s" (target <= 1 % of one core); then the same servers
#     probed every 10 s, measured for twice as long and scaled to 100 servers: at that period the
#     servers' keep-alive has closed the connection, so this is the figure without its help.
# Figures, not a test.   scripts/bench/probe.sh [probes per latency case, default 300] [CPU seconds, default 60]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh

count=${1:-300}
cpu_seconds=${2:-60}
servers=50
port=30666
source scripts/bench/lib.sh
ensure_packages curl python3 docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
python=/var/cache/dtma-test/mcp-venv/bin/python
bench_build
build_release ProbeBench
trap bench_cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start_server() {  # start_server TRANSPORT PORT [--json]
    "$python" Tests/Support/Fixtures/mcp_server.py "$@" >/dev/null 2>&1 &
    bench_pids+=("$!")
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$2/" && return 0; sleep 0.1; done
    die "the $1 fixture did not start"
}

results=()
log "latency: $count probes per case, after 10 warm-up probes"
http_port=$(free_port)
start_server streamable-http "$http_port"
sse_port=$(free_port)
start_server sse "$sse_port"
results+=("$(.build/release/ProbeBench http --port "$http_port" --count "$count")")
results+=("$("$python" scripts/bench/probe_peer.py http-modern "$http_port" "$count")")
results+=("$(.build/release/ProbeBench http --port "$http_port" --count "$count" --legacy)")
results+=("$("$python" scripts/bench/probe_peer.py http "$http_port" "$count")")
results+=("$(.build/release/ProbeBench sse --port "$sse_port" --count "$count")")
results+=("$("$python" scripts/bench/probe_peer.py sse "$sse_port" "$count")")
# A fresh stdio server for each client: a stdio connection keeps the era its first message chose.
for client in dtma python; do
    cid=$(docker run -d -i --init --label "dtma-bench=$BENCH_TAG" dtma-test/mcp-python:latest python /opt/mcp/mcp_server.py stdio)
    sleep 3
    if [ "$client" = dtma ]; then
        results+=("$(.build/release/ProbeBench stdio --container "$cid" --count "$count")")
    else
        results+=("$("$python" scripts/bench/probe_peer.py stdio "$cid" "$count")")
    fi
done

bench_start_dtma "$port" DTMA_LOG_LEVEL=error
# deploy_servers PERIOD: $servers MCP servers in containers, probed every PERIOD seconds.
deploy_servers() {
    seq 0 $((servers - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_KEY" \
        -H 'Content-Type: application/json' "http://127.0.0.1:$port/tools" -d "{\"dockerImageUrl\":\"dtma-test/mcp-python:latest\",
        \"instanceNameOnToolbox\":\"$BENCH_TAG-$1s-{}\",\"accountToolInstanceId\":\"bench-{}\",\"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},
        \"resources\":{\"memoryMB\":128},\"probe\":{\"transport\":\"streamable-http\",\"port\":8000,\"periodSeconds\":$1,\"timeoutSeconds\":1},
        \"baseConfigOverrideJson\":{\"Cmd\":[\"python\",\"/opt/mcp/mcp_server.py\",\"streamable-http\",\"8000\"]}}"
}
remove_servers() {
    seq 0 $((servers - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -X DELETE -H "Authorization: Bearer $BENCH_KEY" \
        "http://127.0.0.1:$port/tools/$BENCH_TAG-$1s-{}"
}
healthy() {
    curl -sf -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/status" \
        | python3 -c 'import json, sys; print(sum((t.get("health") or {}).get("state") == "healthy" for t in json.load(sys.stdin)["tool_instances"]))'
}
# measure_cpu PERIOD SECONDS: prints "<percent of a core> <µs per probe> <healthy at the end>".
measure_cpu() {
    local period=$1 seconds=$2
    deploy_servers "$period"
    for _ in $(seq 180); do [ "$(healthy)" -ge "$servers" ] && break; sleep 1; done
    [ "$(healthy)" -ge "$servers" ] || log "only $(healthy) of $servers servers healthy; measuring anyway"
    sleep $((period * 2))  # every server past its first probes
    local start used
    start=$(cpu_ticks "$DTMA_PID")
    sleep "$seconds"
    used=$(( $(cpu_ticks "$DTMA_PID") - start ))
    local ticks_per_second
    ticks_per_second=$(getconf CLK_TCK)
    echo "$(echo "scale=3; 100 * $used / $ticks_per_second / $seconds" | bc)" \
        "$(echo "scale=0; 1000000 * $used * $period / $ticks_per_second / ($servers * $seconds)" | bc)" "$(healthy)"
    remove_servers "$period"
}

log "CPU: dtma probing $servers MCP servers in containers every second for $cpu_seconds s"
read -r fast_percent fast_per_probe fast_healthy < <(measure_cpu 1 "$cpu_seconds")
# 50 servers at 1 s is 50 probes/s; 100 servers every 10 s is 10 probes/s.
fast_scaled=$(echo "scale=3; $fast_percent * 10 / $servers" | bc)
# The same at the target's own period, where a server's keep-alive (uvicorn's is 5 s) has closed
# the connection before the next probe: every probe connects afresh.
slow_seconds=$((cpu_seconds * 2))
log "CPU: the same servers every 10 s for $slow_seconds s"
read -r slow_percent slow_per_probe slow_healthy < <(measure_cpu 10 "$slow_seconds")
slow_scaled=$(echo "scale=3; $slow_percent * 100 / $servers" | bc)

echo
echo "latency in ms, $count probes each (same server, same exchange, back to back):"
printf '  %s\n' "${results[@]}"
echo
echo "CPU, $servers servers every 1 s for $cpu_seconds s: ${fast_percent}% of one core (${fast_per_probe} µs per probe; $fast_healthy/$servers healthy at the end)"
echo "  scaled to 100 servers every 10 s: ${fast_scaled}% of one core (target <= 1 %)"
echo "CPU, $servers servers every 10 s for $slow_seconds s: ${slow_percent}% of one core (${slow_per_probe} µs per probe, idle time included; $slow_healthy/$servers healthy at the end)"
echo "  scaled to 100 servers every 10 s: ${slow_scaled}% of one core (target <= 1 %)"
