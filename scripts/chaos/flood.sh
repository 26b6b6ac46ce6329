#!/usr/bin/env bash
# A flood against the release binary in a 256 MiB memory cgroup (the unit's MemoryMax): endless
# unauthenticated heads, idle connections, stalled bodies, followed logs of a tool printing 256 KiB
# lines and /events streams whose readers read nothing (scripts/chaos/flood.py), each kind from its
# own loopback address, while /health is timed from 127.0.0.1.
# Passes when dtma is never killed, /health always answers, with p99 under 50 ms during the flood,
# and RSS is back within 5 MB of its start 10 s after the flood ends. Loopback only; cleans up.
#   scripts/chaos/flood.sh [seconds of flood, default 60] [p99 limit in ms, default 50]
# The CPU time the hypervisor took from this machine during the flood (steal) is printed beside the
# figures: on a shared machine it, not dtma, can decide the latency (test.sh's short run allows more).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

seconds=${1:-60}
p99_limit_ms=${2:-50}
port=30782
limit_mb=256
ensure_packages curl python3 docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build

# The memory cgroup: v2 on current droplets, v1 on this kind of test machine.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cgroup=/sys/fs/cgroup/dtma-flood-$$
    mkdir "$cgroup"
    echo $((limit_mb << 20)) >"$cgroup/memory.max"
    echo 0 >"$cgroup/memory.swap.max" 2>/dev/null || true
    oom_kills() { awk '/^oom_kill / { print $2 }' "$cgroup/memory.events"; }
else
    cgroup=/sys/fs/cgroup/memory/dtma-flood-$$
    mkdir "$cgroup"
    echo $((limit_mb << 20)) >"$cgroup/memory.limit_in_bytes"
    echo $((limit_mb << 20)) >"$cgroup/memory.memsw.limit_in_bytes" 2>/dev/null || true
    oom_kills() { awk '/^oom_kill / { print $2 }' "$cgroup/memory.oom_control"; }
fi
finish() {
    bench_cleanup
    sleep 0.5
    rmdir "$cgroup" 2>/dev/null || true
}
trap finish EXIT

# dtma enters the cgroup before it execs, so every page it ever has is counted there.
env BACKEND_TO_DTMA_API_KEY="$BENCH_KEY" DTMA_PORT="$port" DTMA_LISTEN_ADDRESS=0.0.0.0 DTMA_LOG_LEVEL=error \
    sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cgroup" .build/release/dtma serve --env-file /nonexistent &
dtma_pid=$!
bench_pids+=("$dtma_pid")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || die "dtma did not start on port $port"

tool="$BENCH_TAG-chatty"
log "deploying $tool: a 256 KiB line every 0.1 s"
curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' "http://127.0.0.1:$port/tools" -d "{
    \"dockerImageUrl\":\"dtma-test/busybox:latest\",\"instanceNameOnToolbox\":\"$tool\",\"accountToolInstanceId\":\"flood\",
    \"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},\"probe\":{\"transport\":\"none\"},\"resources\":{\"memoryMB\":32},
    \"baseConfigOverrideJson\":{\"Cmd\":[\"sh\",\"-c\",\"while true; do head -c 262144 /dev/zero | tr -c a a; echo; sleep 0.1; done\"]}}" \
    || die "the chatty tool could not be deployed"
sleep 3  # a few lines logged, and dtma settled, before its starting RSS is read

log "flood for $seconds s, then 10 s to come back down (dtma in a $limit_mb MiB cgroup)"
ulimit -n "$(ulimit -Hn)"  # the flood holds about 700 sockets
# user nice system idle iowait irq softirq steal: the share of all CPU time that was stolen.
cpu_times() { awk '/^cpu / { print $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9, $9 }' /proc/stat; }
read -r total_before steal_before < <(cpu_times)
figures=$(python3 scripts/chaos/flood.py "$port" "$BENCH_KEY" "$tool" "$dtma_pid" "$seconds")
read -r total_after steal_after < <(cpu_times)
steal_percent=$(( (steal_after - steal_before) * 100 / (total_after - total_before + 1) ))
echo "$figures"

alive=yes
kill -0 "$dtma_pid" 2>/dev/null || alive=no
verdict=$(python3 - "$figures" "$alive" "$(oom_kills)" "$p99_limit_ms" "$steal_percent" <<'PY'
import json, sys
f, alive, oom = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] or "0"
p99_limit, steal = float(sys.argv[4]), sys.argv[5]
mb = lambda kb: f"{kb / 1024:.1f} MB"
breaches = []
if alive != "yes" or oom != "0":
    breaches.append(f"dtma was killed (alive: {alive}, OOM kills in its cgroup: {oom})")
if f["health_p99_ms"] is None or f["health_p99_ms"] >= p99_limit:
    breaches.append(f"/health p99 {f['health_p99_ms']} ms during the flood (limit {p99_limit:g}; CPU steal {steal}%)")
if f["health_failures"]:
    breaches.append(f"{f['health_failures']} /health requests failed ({', '.join(f['health_failure_kinds'])})")
if f["after_rss_kb"] - f["start_rss_kb"] > 5 * 1024:
    breaches.append(f"RSS {mb(f['after_rss_kb'])} 10 s after the flood, started at {mb(f['start_rss_kb'])} (allowed +5 MB)")
kinds = ", ".join(f"{k} {v}" for k, v in sorted(f["connections"].items()))
line = (f"flood: RSS start {mb(f['start_rss_kb'])}, peak {mb(f['peak_rss_kb'])}, 10 s after {mb(f['after_rss_kb'])}; "
        f"/health p50 {f['health_p50_ms']:.1f} ms, p99 {f['health_p99_ms']:.1f} ms, max {f['health_max_ms']:.1f} ms over {f['health_answers']} answers; "
        f"CPU steal {steal}%; connections: {kinds}")
print(("FAIL " if breaches else "PASS ") + line)
for breach in breaches:
    print("BREACH: " + breach)
PY
)
echo "$verdict"
[[ "$verdict" == PASS* ]]
