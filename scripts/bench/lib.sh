# Shared by the benchmarks: a release dtma serving on loopback, tiny tools deployed through its API,
# RSS and CPU readings from /proc. Source after scripts/lib.sh.

BENCH_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
BENCH_TAG="bench-$$"
bench_pids=()

bench_cleanup() {
    for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    docker ps -aq --filter "label=dtma-bench=$BENCH_TAG" | xargs -r docker rm -f >/dev/null 2>&1 || true
}

# The binary as shipped: release, static Swift runtime.
bench_build() {
    log "building dtma (release, static Swift runtime as shipped)"
    build_release dtma
}

# bench_start_dtma PORT [VAR=value …]: runs dtma serve in the background; sets DTMA_PID.
bench_start_dtma() {
    local port=$1
    shift
    env BACKEND_TO_DTMA_API_KEY="$BENCH_KEY" DTMA_PORT="$port" DTMA_LISTEN_ADDRESS=127.0.0.1 DTMA_LOG_LEVEL=error "$@" \
        .build/release/dtma serve --env-file /nonexistent &
    DTMA_PID=$!
    bench_pids+=("$DTMA_PID")
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0; sleep 0.2; done
    die "dtma did not start on port $port"
}

# bench_deploy PORT FROM TO: deploys sleeping busybox tools FROM..TO-1, four at a time.
bench_deploy() {
    local port=$1 from=$2 to=$3
    [ "$to" -gt "$from" ] || return 0
    log "deploying tools $from..$((to - 1))"
    seq "$from" $((to - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_KEY" \
        -H 'Content-Type: application/json' "http://127.0.0.1:$port/tools" -d "{\"dockerImageUrl\":\"dtma-test/busybox:latest\",
        \"instanceNameOnToolbox\":\"$BENCH_TAG-{}\",\"accountToolInstanceId\":\"bench-{}\",\"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},
        \"resources\":{\"memoryMB\":16},\"probe\":{\"transport\":\"none\"},\"baseConfigOverrideJson\":{\"Cmd\":[\"sleep\",\"3600\"]}}"
}

# bench_start_control_plane DIR: the HTTPS control-plane stand-in (Tests/Support/Fixtures/control_plane.py)
# in the background, its CA and recorded requests in DIR; sets CONTROL_PLANE_PORT.
bench_start_control_plane() {
    python3 Tests/Support/Fixtures/control_plane.py "$1" >"$1/port" 2>/dev/null &
    bench_pids+=("$!")
    for _ in $(seq 100); do [ -s "$1/port" ] && break; sleep 0.1; done
    CONTROL_PLANE_PORT=$(head -1 "$1/port")
    [[ "$CONTROL_PLANE_PORT" =~ ^[0-9]+$ ]] || die "the control plane stand-in did not start"
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
rss_anon_kb() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status"; }
# User + system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
