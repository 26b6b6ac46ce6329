#!/usr/bin/env bash
# Restarts the Docker engine under a running dtma that probes two real MCP servers (Streamable
# HTTP, and stdio through attach), without and then with --live-restore. Checks that dtma stays
# up, reports the engine unreachable meanwhile (in /status, and in heartbeats to a local HTTPS
# receiver), and that both tools are healthy again (the stdio one re-attached) within BOUND
# seconds of the engine answering. Loopback only; cleans up.
#   scripts/chaos/engine-restart.sh [restarts, default 2] [bound seconds, default 20]
# Restarts only a dockerd this machine runs in the background (as scripts/test.sh starts it) or
# under systemd. Prints one verdict line; exits 1 on a breach.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

restarts=${1:-2}
bound=${2:-20}
port=30777
ensure_packages curl python3 docker.io
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build

# Field of /status, by a Python expression over `s` (the parsed body); empty when dtma does not answer.
status() {
    curl -sf --max-time 2 -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/status" 2>/dev/null \
        | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)" 2>/dev/null || true
}
health_of() { status "next((t.get('health') or {}).get('state', '') for t in s['tool_instances'] if t['instance_name_on_toolbox'] == '$1')"; }
ids() { docker ps -q --no-trunc --filter "label=dtma-bench=$BENCH_TAG" | sort | tr '\n' ' '; }

deploy() {
    local name=$1 command=$2 probe=$3 ports=${4:-}
    curl -sf -o /dev/null -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' "http://127.0.0.1:$port/tools" \
        -d "{\"dockerImageUrl\":\"dtma-test/mcp-python:latest\",\"instanceNameOnToolbox\":\"$name\",\"accountToolInstanceId\":\"$name\",
             \"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},\"probe\":$probe,
             \"baseConfigOverrideJson\":{\"Cmd\":$command,\"HostConfig\":{${ports}}}}" || die "deploy of $name failed"
}

wait_healthy() {
    local deadline=$((SECONDS + $1)) name
    while [ $SECONDS -lt $deadline ]; do
        local all=1
        for name in "$BENCH_TAG-http" "$BENCH_TAG-stdio"; do
            [ "$(health_of "$name")" = healthy ] || all=0
        done
        [ $all -eq 1 ] && return 0
        sleep 0.5
    done
    return 1
}

stop_engine() {
    if command -v systemctl >/dev/null && systemctl is-active --quiet docker 2>/dev/null; then
        systemctl stop docker docker.socket
        return
    fi
    local pid
    pid=$(pgrep -x dockerd) || die "no dockerd to restart"
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    die "dockerd did not stop within 30 s"
}

start_engine() {
    local flags=$1
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1 && [ -z "$flags" ]; then
        systemctl start docker
    else
        nohup dockerd $flags >>/var/log/dtma-dockerd.log 2>&1 &
    fi
    for _ in $(seq 60); do engine_answers && return 0; sleep 0.5; done
    die "dockerd did not come back within 30 s"
}

# A control plane too, to see that heartbeats say the engine is away while it is.
receiver=$(mktemp -d)
bench_start_control_plane "$receiver"
trap 'bench_cleanup; rm -rf "$receiver"' EXIT
bench_start_dtma "$port" DTMA_LOG_LEVEL=warning AGENTOPIA_API_BASE_URL="https://127.0.0.1:$CONTROL_PLANE_PORT" \
    DTMA_BEARER_TOKEN=droplet-token-for-tests DTMA_CONTROL_PLANE_CA_FILE="$receiver/ca.pem" DTMA_HEARTBEAT_INTERVAL_SECONDS=1
dtma_pid=$DTMA_PID
# How many heartbeats said the engine was unreachable.
heartbeats_without_engine() {
    python3 -c "
import json, sys
n = 0
for line in open(sys.argv[1]):
    body = json.loads(json.loads(line)['body'] or '{}')
    n += body.get('engine', {}).get('reachable') is False
print(n)" "$receiver/requests.jsonl" 2>/dev/null || echo 0
}
deploy "$BENCH_TAG-http" '["python","/opt/mcp/mcp_server.py","streamable-http","8000"]' \
    '{"transport":"streamable-http","port":8000,"periodSeconds":1,"timeoutSeconds":1}' '"PortBindings":{"8000/tcp":[{"HostPort":""}]}'
deploy "$BENCH_TAG-stdio" '["python","/opt/mcp/mcp_server.py","stdio"]' '{"transport":"stdio","periodSeconds":1,"timeoutSeconds":1}'
wait_healthy 60 || die "the tools never became healthy before any restart"

breaches=()
recoveries=()
for round in $(seq "$restarts"); do
    # The first half without live-restore, then with it: switching a live-restore engine back
    # kills what it had kept running, and that is not a restart being tested here.
    flags=""
    [ "$round" -gt $((restarts / 2)) ] && flags="--live-restore"
    before=$(ids)
    log "restart $round/$restarts of dockerd ${flags:-(no live-restore)}"
    stop_engine
    # dtma notices when its events stream ends; give it a moment, then it must say so.
    seen_down=""
    for _ in $(seq 20); do
        [ "$(status "s['engine']['reachable']")" = False ] && { seen_down=yes; break; }
        sleep 0.25
    done
    [ -n "$seen_down" ] || breaches+=("round $round: /status never said the engine was unreachable")
    unreachable_beats=$(heartbeats_without_engine)
    for _ in $(seq 20); do [ "$(heartbeats_without_engine)" -gt "$unreachable_beats" ] && break; sleep 0.25; done
    [ "$(heartbeats_without_engine)" -gt "$unreachable_beats" ] || breaches+=("round $round: no heartbeat said the engine was unreachable")
    start_engine "$flags"
    back=$SECONDS
    if wait_healthy "$bound"; then
        recoveries+=("$((SECONDS - back))")
    else
        breaches+=("round $round: not healthy within $bound s of the engine's return (http: $(health_of "$BENCH_TAG-http"), stdio: $(health_of "$BENCH_TAG-stdio"))")
    fi
    kill -0 "$dtma_pid" 2>/dev/null || breaches+=("round $round: dtma died")
    [ -n "$flags" ] && [ "$(ids)" != "$before" ] && breaches+=("round $round: live-restore, yet the running containers changed")
done
# Leave the engine as scripts/test.sh starts it: without live-restore.
if [ -n "$flags" ]; then stop_engine; start_engine ""; fi

verdict="engine restarts: $restarts, dtma pid $dtma_pid $(kill -0 "$dtma_pid" 2>/dev/null && echo alive || echo DEAD), healthy again after: ${recoveries[*]:-none} s (bound $bound s)"
if [ ${#breaches[@]} -gt 0 ]; then
    printf 'BREACH: %s\n' "${breaches[@]}" >&2
    echo "FAIL $verdict"
    exit 1
fi
echo "PASS $verdict"
