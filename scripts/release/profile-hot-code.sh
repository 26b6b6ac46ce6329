#!/usr/bin/env bash
# Writes scripts/release/hot-code.order: every function a running dtma executes, as the linker's
# section names, most executed first. build_release (scripts/lib.sh) lays these functions side by side,
# so the kernel, which maps code 64 KiB around each page touched, keeps a few MB of the binary
# resident instead of most of it. Run again after large changes; a stale list costs memory, not
# correctness (unknown names are ignored, new functions land after the listed ones).
#
# The workload, under valgrind's callgrind (exact, every function executed at least once): start-up,
# 10 idle tools and 2 MCP servers probed every 2 s through the API, /status, /health, /metrics,
# logs, stop and start, heartbeats every second to the HTTPS stand-in control plane, then SIGTERM.
#   scripts/release/profile-hot-code.sh [seconds of steady state, default 60]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

seconds=${1:-60}
port=30570
ensure_packages valgrind curl openssl python3 docker.io busybox-static file binutils
ensure_swift
ensure_engine
scripts/test-images.sh
[ -f scripts/release/hot-code.order ] || : >scripts/release/hot-code.order
bench_build

work=$(mktemp -d)
trap 'bench_cleanup; rm -rf "$work"' EXIT
# valgrind cannot read the toolchain's DWARF; it needs only the symbol table.
strip --strip-debug -o "$work/dtma" .build/release/dtma

bench_start_control_plane "$work"

log "dtma under callgrind (slow: about 50 times)"
env BACKEND_TO_DTMA_API_KEY="$BENCH_KEY" DTMA_PORT="$port" DTMA_LISTEN_ADDRESS=127.0.0.1 DTMA_LOG_LEVEL=info \
    AGENTOPIA_API_BASE_URL="https://127.0.0.1:$CONTROL_PLANE_PORT" DTMA_BEARER_TOKEN=droplet-token-for-tests \
    DTMA_CONTROL_PLANE_CA_FILE="$work/ca.pem" DTMA_HEARTBEAT_INTERVAL_SECONDS=1 \
    valgrind --tool=callgrind --demangle=no --dump-instr=yes --callgrind-out-file="$work/callgrind.out" \
    "$work/dtma" serve --env-file /nonexistent >/dev/null 2>"$work/valgrind.log" &
dtma_pid=$!
bench_pids+=("$dtma_pid")
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.5; done

api() {
    curl -sS --fail-with-body -o "$work/answer" -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' "$@" \
        || die "$* answered: $(cat "$work/answer")"
}
bench_deploy "$port" 0 10
for i in 0 1; do
    api "http://127.0.0.1:$port/tools" -d "{\"dockerImageUrl\":\"dtma-test/mcp-python:latest\",
        \"instanceNameOnToolbox\":\"$BENCH_TAG-mcp-$i\",\"accountToolInstanceId\":\"mcp-$i\",\"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},
        \"probe\":{\"transport\":\"streamable-http\",\"port\":8000,\"periodSeconds\":2,\"timeoutSeconds\":2},
        \"baseConfigOverrideJson\":{\"Cmd\":[\"python\",\"/opt/mcp/mcp_server.py\",\"streamable-http\",\"8000\"]}}"
done
api -X POST "http://127.0.0.1:$port/tools/$BENCH_TAG-3/stop"
api -X POST "http://127.0.0.1:$port/tools/$BENCH_TAG-3/start"
api "http://127.0.0.1:$port/tools/$BENCH_TAG-mcp-0/logs"
for _ in 1 2 3; do
    api "http://127.0.0.1:$port/status"
    api "http://127.0.0.1:$port/health"
    api "http://127.0.0.1:$port/metrics"
done
log "steady state for $seconds s"
sleep "$seconds"
api "http://127.0.0.1:$port/status"
kill -TERM "$dtma_pid"
for _ in $(seq 240); do kill -0 "$dtma_pid" 2>/dev/null || break; sleep 0.5; done
[ -s "$work/callgrind.out" ] || { cat "$work/valgrind.log" >&2; die "callgrind wrote no profile"; }

# Callgrind's format (--dump-instr=yes): "ob=(id) path" (or "cob=", for a callee) names the object of the cost lines that follow;
# a cost line starts with an instruction address, absolute (0x…), relative (+n, -n) or unchanged (*),
# then the source line and the instructions executed there. Every address executed in dtma's own
# object is looked up in its symbol table: callgrind's own function names miss code reached by tail
# calls (async functions' continuations), the addresses do not.
python3 - "$work/callgrind.out" "$work/dtma" scripts/release/hot-code.order <<'PY'
import bisect, re, subprocess, sys
profile, binary, order_file = sys.argv[1:]
objects, current_object, address, cost = {}, None, 0, {}
for line in open(profile, errors="replace"):
    m = re.match(r"^(c?ob)=\((\d+)\)(?: (.*))?$", line)
    if m:
        kind, oid, path = m.groups()
        if path:
            objects[oid] = path.strip()
        if kind == "ob":
            current_object = objects.get(oid)
        continue
    first = line[:1]
    if not (first in "+-*" or line.startswith("0x")) or current_object != binary:
        continue
    fields = line.split()
    position = fields[0]
    if position.startswith("0x"):
        address = int(position, 16)
    elif position[0] in "+-":
        address += int(position)
    executed = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else 0
    cost[address] = cost.get(address, 0) + executed
symbols = []
for row in subprocess.run(["nm", "-S", "--defined-only", "-n", binary], capture_output=True, text=True).stdout.splitlines():
    parts = row.split()
    if len(parts) == 4 and parts[2] in "tTwW":
        symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
starts = [start for start, _, _ in symbols]
hot = {}
for address, executed in cost.items():
    i = bisect.bisect_right(starts, address) - 1
    if i >= 0 and address < symbols[i][0] + symbols[i][1]:
        hot[symbols[i][2]] = hot.get(symbols[i][2], 0) + executed
with open(order_file, "w") as out:
    for name in sorted(hot, key=lambda n: -hot[n]):
        out.write(".text." + name + "\n")
    # Private helpers have no symbol ("…L__unnamed_16", the same names in every object): all of
    # them, 90 KB, rather than a stray one in every cold 64 KiB.
    out.write(".text..L*\n")
print(f"{len(cost)} instructions of dtma executed, in {len(hot)} functions: written to {order_file}")
PY
# The order file is not an input SwiftPM knows of: make the next build link again.
rm -f .build/release/dtma
