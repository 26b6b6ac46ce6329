#!/usr/bin/env bash
# /status latency (p50, p99) and throughput with 0, 10 and 100 managed containers, and dtma's
# idle RSS with 10 tools (and after the load, with 100), beside a bare Node.js HTTP server measured in the same run.
# Figures, not a test. Targets: p99 <= 2 ms at 100 containers, idle RSS <= 15 MB.
#   scripts/bench/api.sh [seconds per wrk run, default 10]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh

seconds=${1:-10}
port=30555
node_port=30556
source scripts/bench/lib.sh
ensure_packages curl wrk bc docker.io busybox-static file
command -v node >/dev/null || ensure_packages nodejs
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build
trap bench_cleanup EXIT
bench_start_dtma "$port"
dtma_pid=$DTMA_PID
key=$BENCH_KEY

# wrk prints latency percentiles with --latency; keep p50, p99, the slowest answer and req/s.
# The last run (/health) overlaps the seconds, some 20-30 s after a container starts, when the 100
# containers' containerd-shims wake together: its slowest answer is what sharing the cores costs.
measure() {
    local name=$1 url=$2 out
    out=$(wrk -t1 -c4 -d"${seconds}s" --latency -H "Authorization: Bearer $key" "$url")
    echo "$out" | awk -v name="$name" '
        /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 } /^ +Latency +[0-9]/ { max = $4 } /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "%-26s p50 %-9s p99 %-9s max %-9s %10s req/s %s\n", name, p50, p99, max, rps, (bad ? "non-2xx: " bad : "") }'
}

results=()
deployed=0
for count in 0 10 100; do
    bench_deploy "$port" "$deployed" "$count"
    deployed=$count
    if [ "$count" -eq 10 ]; then
        sleep 10
        dtma_rss=$(rss_kb "$dtma_pid")
        dtma_anon=$(rss_anon_kb "$dtma_pid")
    fi
    results+=("$(measure "dtma /status, $count tools" "http://127.0.0.1:$port/status")")
done
dtma_rss_busy=$(rss_kb "$dtma_pid")

log "Node.js peer: a bare HTTP server"
node -e "require('http').createServer((q, s) => { s.setHeader('content-type', 'application/json'); s.end('{\"status\":\"ok\"}') }).listen($node_port, '127.0.0.1')" &
node_pid=$!
bench_pids+=("$node_pid")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$node_port/" >/dev/null && break; sleep 0.1; done
sleep 3
node_rss=$(rss_kb "$node_pid")
results+=("$(measure "node bare server" "http://127.0.0.1:$node_port/")")
results+=("$(measure "dtma /health" "http://127.0.0.1:$port/health")")

echo
printf '%s\n' "${results[@]}"
echo
printf 'idle RSS: dtma with 10 tools %.1f MB (%.1f MB anonymous, the rest shared code pages), bare Node.js server %.1f MB (ratio %.2fx)\n' \
    "$(echo "$dtma_rss / 1024" | bc -l)" "$(echo "$dtma_anon / 1024" | bc -l)" "$(echo "$node_rss / 1024" | bc -l)" "$(echo "$dtma_rss / $node_rss" | bc -l)"
printf 'RSS after the /status runs with 100 tools: %.1f MB\n' "$(echo "$dtma_rss_busy / 1024" | bc -l)"
echo "targets: p99 <= 2 ms at 100 tools; idle RSS <= 15 MB"
