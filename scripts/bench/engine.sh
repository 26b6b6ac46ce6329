#!/usr/bin/env bash
# Requests/s for GET /containers/{id}/json and GET /containers/json against the local engine, in one
# run: dtma's client (one keep-alive connection, and N), the Python Docker SDK (keep-alive session,
# sequential and N threads) and curl (one process per request, and one process reusing its
# connection). Prints a table, the ratios, and where the client's CPU goes (the round trip alone,
# reading the answer). Figures, not a test: the machine is noisy.
#   scripts/bench/engine.sh [seconds per case, default 5] [concurrency, default 8]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh

seconds=${1:-5}
concurrency=${2:-8}
ensure_packages curl docker.io busybox-static file time
ensure_swift
ensure_engine
scripts/test-images.sh
python3 -c "import docker" 2>/dev/null || pip install -q docker

log "building the benchmark driver (release)"
build_release EngineBench

# One running target, plus 20 stopped containers so that the list is not trivially short.
ids=()
cleanup() { [ ${#ids[@]} -eq 0 ] || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true; }
trap cleanup EXIT
target=$(docker run -d --label dtma.bench=1 dtma-test/busybox:latest sleep 600)
ids+=("$target")
for _ in $(seq 20); do ids+=("$(docker create --label dtma.bench=1 dtma-test/busybox:latest true)"); done
api=$(curl -s --unix-socket "$DOCKER_SOCKET" http://docker/version | python3 -c 'import json,sys; print(json.load(sys.stdin)["ApiVersion"])')
inspect_url="http://docker/v$api/containers/$target/json"
list_url="http://docker/v$api/containers/json?all=1&filters=%7B%22label%22%3A%5B%22dtma.bench%3D1%22%5D%7D"

results=$(mktemp)
log "dtma client"
.build/release/EngineBench --container "$target" --seconds "$seconds" --concurrency "$concurrency" | tee -a "$results"
log "Python docker SDK $(python3 -c 'import docker; print(docker.__version__)')"
python3 scripts/bench/engine_peers.py "$target" "$seconds" "$concurrency" | tee -a "$results"

# curl: N requests each in its own process, then N requests in one process over one connection.
curl_case() {
    local name=$1 url=$2 n=$3 mode=$4 start end
    start=$(date +%s.%N)
    if [ "$mode" = process ]; then
        for _ in $(seq "$n"); do curl -sf --unix-socket "$DOCKER_SOCKET" -o /dev/null "$url"; done
    else
        local config
        config=$(mktemp)
        for _ in $(seq "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$config"
        curl -sf --unix-socket "$DOCKER_SOCKET" -K "$config"
        rm -f "$config"
    fi
    end=$(date +%s.%N)
    awk -v name="$name" -v n="$n" -v s="$start" -v e="$end" 'BEGIN { printf "%s %d %.2f %.0f -\n", name, n, e - s, n / (e - s) }'
}
# curl's own CPU per request over one connection (user + system), for the client-side comparison.
curl_cpu() {
    local url=$1 n=$2 config times
    config=$(mktemp)
    for _ in $(seq "$n"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$config"
    times=$( { /usr/bin/time -f "%U %S" curl -sf --unix-socket "$DOCKER_SOCKET" -K "$config"; } 2>&1 )
    rm -f "$config"
    awk -v n="$n" -v t="$times" 'BEGIN { split(t, a, " "); printf "curl_inspect_1conn_cpu %d 0 0 %.1f\n", n, (a[1] + a[2]) * 1e6 / n }'
}
log "curl $(curl --version | head -1 | cut -d' ' -f2)"
curl_case curl_inspect_process "$inspect_url" 300 process | tee -a "$results"
curl_case curl_list_process "$list_url" 300 process | tee -a "$results"
curl_case curl_inspect_1conn "$inspect_url" 3000 keepalive | tee -a "$results"
curl_case curl_list_1conn "$list_url" 3000 keepalive | tee -a "$results"
curl_cpu "$inspect_url" 3000 | tee -a "$results"

python3 - "$results" "$concurrency" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, n, secs, rate, cpu = line.split()
    rows[name] = (float(rate), cpu)
c = sys.argv[2]
print()
print(f"{'case':28} {'req/s':>8} {'client CPU µs/req':>18}")
for name, (rate, cpu) in rows.items():
    if not name.endswith("_cpu"):
        print(f"{name:28} {rate:8.0f} {cpu:>18}")
print()
for op in ("inspect", "list"):
    ours1, oursN = rows[f"dtma_{op}_1conn"][0], rows[f"dtma_{op}_{c}conn"][0]
    py1, pyN = rows[f"python_{op}_1conn"][0], rows[f"python_{op}_{c}conn"][0]
    curl1 = rows[f"curl_{op}_1conn"][0]
    print(f"{op:8} one connection: dtma/python = {ours1 / py1:.2f}x, dtma/curl keep-alive = {ours1 / curl1:.2f}x")
    print(f"{op:8} {c} connections:  dtma/python = {oursN / pyN:.2f}x, dtma {c} conn / dtma 1 conn = {oursN / ours1:.2f}x")
    cpu = float(rows[f"dtma_{op}_1conn"][1])
    print(f"{op:8} dtma client CPU {cpu:.0f} µs of a {1e6 / ours1:.0f} µs round trip: the engine and the socket take the other {100 - 100 * cpu * ours1 / 1e6:.0f}%")
total = float(rows["dtma_inspect_1conn"][1])
transport, read, foundation = (float(rows[k][1]) for k in ("dtma_inspect_transport_only", "dtma_inspect_read_only", "jsondecoder_inspect_read_only"))
print(f"inspect  dtma client CPU per request {total:.0f} µs: the HTTP/1.1 round trip alone {transport:.0f} µs (curl's whole process {rows['curl_inspect_1conn_cpu'][1]} µs);")
print(f"         reading the answer {read:.0f} µs hot in the cache (JSONDecoder: {foundation:.0f} µs, {foundation / read:.1f}x); the rest is the answer read cold, just off the socket")
PY
rm -f "$results"
