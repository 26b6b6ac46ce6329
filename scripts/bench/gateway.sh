#!/usr/bin/env bash
# The MCP gateway against mcp-proxy (PyPI, the reference stdio -> Streamable HTTP bridge), in one run,
# bridging the same stdio server (Tests/Support/Fixtures/mcp_server.py, the official SDK) in the
# same image: dtma attaches to its container through the engine; mcp-proxy runs it with
# `docker run -i`, as a bridge on a droplet would. One client (scripts/bench/gateway_client.py, one
# session, sequential `tools/call`s on one kept-alive connection) measures both; the CPU time of each
# bridge (dtma; mcp-proxy and its docker CLI) per call and its RSS are read from /proc.
# Figures, not a test.   scripts/bench/gateway.sh [calls, default 2000]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh

count=${1:-2000}
port=30667
proxy_port=30668
source scripts/bench/lib.sh
ensure_packages curl python3 python3-venv docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
python=/var/cache/dtma-test/mcp-venv/bin/python
proxy_venv=/var/cache/dtma-test/mcp-proxy-venv
if [ ! -x "$proxy_venv/bin/mcp-proxy" ]; then
    log "installing mcp-proxy from PyPI into $proxy_venv"
    python3 -m venv "$proxy_venv"
    "$proxy_venv/bin/pip" install -q mcp-proxy || die "pip install mcp-proxy failed (needs PyPI)"
fi
bench_build
trap bench_cleanup EXIT

# Every descendant of a process, and itself.
tree_pids() { echo "$1"; for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree_pids "$child"; done; }
tree_ticks() { local sum=0; for pid in $(tree_pids "$1"); do sum=$((sum + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done; echo "$sum"; }
tree_rss_kb() { local sum=0; for pid in $(tree_pids "$1"); do sum=$((sum + $(rss_kb "$pid" 2>/dev/null || echo 0))); done; echo "$sum"; }
ticks_per_second=$(getconf CLK_TCK)

# measure KEY NAME URL PID [BEARER]: one client run; prints the line, keeps p50 and µs of bridge CPU
# per call in $tmp/KEY.*.
measure() {
    local key=$1 name=$2 url=$3 pid=$4 bearer=${5:-} before after figures
    before=$(tree_ticks "$pid")
    figures=$("$python" scripts/bench/gateway_client.py "$url" "$count" $bearer)
    after=$(tree_ticks "$pid")
    local cpu_us=$(( (after - before) * 1000000 / ticks_per_second / (count + 10) ))
    printf '  %-34s %s  bridge CPU %d µs/call  RSS %d KB\n' "$name" "$figures" "$cpu_us" "$(tree_rss_kb "$pid")"
    echo "$figures" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["p50_ms"])' >"$tmp/$key.p50"
    echo "$cpu_us" >"$tmp/$key.cpu"
}
tmp=$(mktemp -d)

log "dtma: the gateway in front of the fixture in a container (stdio)"
bench_start_dtma "$port"
curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' "http://127.0.0.1:$port/tools" -d \
    "{\"dockerImageUrl\":\"dtma-test/mcp-python:latest\",\"instanceNameOnToolbox\":\"$BENCH_TAG-stdio\",\"accountToolInstanceId\":\"bench\",
      \"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},\"mcpTransportType\":\"stdio\",
      \"baseConfigOverrideJson\":{\"Cmd\":[\"python\",\"/opt/mcp/mcp_server.py\",\"stdio\"]}}" || die "the deploy failed"
for _ in $(seq 100); do
    curl -sf -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/status" | grep -q '"health":"healthy"' && break
    sleep 0.3
done

log "mcp-proxy $("$proxy_venv/bin/mcp-proxy" --version 2>&1 | tail -1) in front of the same server (docker run -i)"
"$proxy_venv/bin/mcp-proxy" --port "$proxy_port" --host 127.0.0.1 --log-level ERROR -- \
    docker run -i --rm --label "dtma-bench=$BENCH_TAG" dtma-test/mcp-python:latest python /opt/mcp/mcp_server.py stdio >/dev/null 2>&1 &
proxy_pid=$!
bench_pids+=("$proxy_pid")
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$proxy_port/mcp" && break; sleep 0.2; done

log "$count sequential tools/call per bridge, after 10 warm-up calls"
measure dtma "dtma /mcp/servers/{name}" "http://127.0.0.1:$port/mcp/servers/$BENCH_TAG-stdio" "$DTMA_PID" "$BENCH_KEY"
measure proxy "mcp-proxy /mcp" "http://127.0.0.1:$proxy_port/mcp" "$proxy_pid"

dtma_p50=$(cat "$tmp/dtma.p50"); proxy_p50=$(cat "$tmp/proxy.p50")
dtma_cpu=$(cat "$tmp/dtma.cpu"); proxy_cpu=$(cat "$tmp/proxy.cpu")
python3 -c "print(f'  p50 latency: dtma {$dtma_p50} ms vs mcp-proxy {$proxy_p50} ms ({$dtma_p50}/{$proxy_p50} = {$dtma_p50/$proxy_p50:.2f}x)')"
python3 -c "print(f'  bridge CPU per call: dtma {$dtma_cpu} µs vs mcp-proxy {$proxy_cpu} µs ({max($dtma_cpu,1)/max($proxy_cpu,1):.2f}x)')"
rm -rf "$tmp"
