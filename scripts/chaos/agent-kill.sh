#!/usr/bin/env bash
# Kills dtma with SIGKILL N times (default 10) while it runs 10 probed MCP servers, some kills in
# the middle of a deploy, a stop or a remove, restarting it each time. Afterwards: no container
# lost or duplicated, the 10 tools that were not being changed have the same container IDs and
# were never restarted, each interrupted operation completes when retried, and /status shows the
# 10 healthy again within BOUND seconds of each restart. Loopback only; cleans up after itself.
#   scripts/chaos/agent-kill.sh [kills, default 10] [bound seconds, default 6]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

kills=${1:-10}
bound=${2:-6}
port=30778
core=10
ensure_packages curl python3 docker.io
ensure_swift
ensure_engine
scripts/test-images.sh
bench_build
log_file=$(mktemp /tmp/dtma-agent-kill.XXXXXX.log)
trap 'bench_cleanup; rm -f "$log_file"' EXIT

start_dtma() {
    BACKEND_TO_DTMA_API_KEY="$BENCH_KEY" DTMA_PORT="$port" DTMA_LISTEN_ADDRESS=127.0.0.1 DTMA_LOG_LEVEL=warning \
        .build/release/dtma serve --env-file /nonexistent >>"$log_file" 2>&1 &
    DTMA_PID=$!
    bench_pids+=("$DTMA_PID")
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0; sleep 0.05; done
    die "dtma did not start (log: $log_file)"
}
api() {  # api METHOD PATH [BODY] -> prints the HTTP status
    curl -s -o /dev/null -w '%{http_code}' -X "$1" -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$port$2" ${3:+-d "$3"} || true
}
body() {  # body NAME IMAGE CMD PROBE
    echo "{\"dockerImageUrl\":\"$2\",\"instanceNameOnToolbox\":\"$1\",\"accountToolInstanceId\":\"$1\",
        \"labels\":{\"dtma-bench\":\"$BENCH_TAG\"},\"probe\":$4,\"baseConfigOverrideJson\":{\"Cmd\":$3}}"
}
core_body() { body "$BENCH_TAG-core-$1" dtma-test/mcp-python:latest '["python","/opt/mcp/mcp_server.py","streamable-http","8000"]' \
    '{"transport":"streamable-http","port":8000,"periodSeconds":2,"timeoutSeconds":1}'; }
extra_body() { body "$BENCH_TAG-extra-$1" dtma-test/busybox:latest '["sleep","3600"]' '{"transport":"none"}'; }
healthy_core() {
    curl -sf --max-time 2 -H "Authorization: Bearer $BENCH_KEY" "http://127.0.0.1:$port/status" | python3 -c "
import json, sys
tools = json.load(sys.stdin)['tool_instances']
print(sum(t['instance_name_on_toolbox'].startswith('$BENCH_TAG-core-') and (t.get('health') or {}).get('state') == 'healthy' for t in tools))" \
        2>/dev/null || echo 0
}
# name id started-at restart-count, one line a container of this run
containers() {
    docker ps -aq --filter "label=dtma-bench=$BENCH_TAG" | xargs -r docker inspect \
        -f '{{ index .Config.Labels "dtma.instance" }} {{ .Id }} {{ .State.StartedAt }} {{ .RestartCount }} {{ .State.Status }}' | sort
}

start_dtma
log "deploying $core probed MCP servers"
seq 0 $((core - 1)) | xargs -P 4 -I{} sh -c "curl -sf -o /dev/null -H 'Authorization: Bearer $BENCH_KEY' \
    -H 'Content-Type: application/json' http://127.0.0.1:$port/tools -d '$(core_body '{}')'" || die "core deploys failed"
for _ in $(seq 120); do [ "$(healthy_core)" -ge "$core" ] && break; sleep 1; done
[ "$(healthy_core)" -ge "$core" ] || die "the $core core tools never became healthy"
baseline=$(containers | grep -- "-core-")

breaches=()
recoveries=()
extra=0
for round in $(seq "$kills"); do
    # A spare tool to stop or remove mid-kill.
    extra=$((extra + 1))
    [ "$(api POST /tools "$(extra_body "$extra")")" = 201 ] || breaches+=("round $round: spare deploy failed")
    case $((round % 4)) in
        1) what="deploy"; path="/tools"; method=POST; payload=$(extra_body "new-$round") ;;
        2) what="remove"; path="/tools/$BENCH_TAG-extra-$extra"; method=DELETE; payload="" ;;
        3) what="stop"; path="/tools/$BENCH_TAG-extra-$extra/stop"; method=POST; payload="" ;;
        *) what="idle"; path=""; method=""; payload="" ;;
    esac
    if [ -n "$path" ]; then
        api "$method" "$path" "$payload" >/dev/null &
        sleep "0.$((RANDOM % 4 + 1))"
    fi
    kill -9 "$DTMA_PID"
    wait "$DTMA_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    start_dtma
    back=$SECONDS
    # The interrupted operation, again: it must complete or find its work already done.
    if [ -n "$path" ]; then
        status=$(api "$method" "$path" "$payload")
        case "$what" in
            deploy) [[ "$status" =~ ^20[01]$ ]] || breaches+=("round $round: deploy retried → $status") ;;
            remove) [[ "$status" =~ ^(200|404)$ ]] || breaches+=("round $round: remove retried → $status") ;;
            stop) [ "$status" = 200 ] || breaches+=("round $round: stop retried → $status") ;;
        esac
    fi
    while [ $((SECONDS - back)) -le "$bound" ] && [ "$(healthy_core)" -lt "$core" ]; do sleep 0.25; done
    if [ "$(healthy_core)" -ge "$core" ]; then
        recoveries+=("$((SECONDS - back))")
    else
        breaches+=("round $round ($what): $(healthy_core)/$core healthy $bound s after the restart")
    fi
done

# Every name at most once; the core tools exactly as they were; interrupted work settled.
duplicates=$(containers | awk '{ print $1 }' | uniq -d)
[ -z "$duplicates" ] || breaches+=("duplicated containers: $duplicates")
[ "$(containers | grep -- "-core-")" = "$baseline" ] || breaches+=("core containers changed: $(diff <(echo "$baseline") <(containers | grep -- "-core-") | head -5 | tr '\n' ' ')")
for round in $(seq "$kills"); do
    case $((round % 4)) in
        1) containers | grep -q -- "-extra-new-$round .* running$" || breaches+=("round $round: the retried deploy left no running container") ;;
        2) ! containers | grep -q -- "-extra-$round " || breaches+=("round $round: the retried remove left a container") ;;
        3) containers | grep -q -- "-extra-$round .* exited$" || breaches+=("round $round: the retried stop left it running") ;;
    esac
done

verdict="$kills SIGKILLs of dtma under $core probed tools: core containers unchanged and never restarted: $([ "$(containers | grep -- "-core-")" = "$baseline" ] && echo yes || echo NO), all $core healthy again after ${recoveries[*]:-none} s (bound $bound s)"
if [ ${#breaches[@]} -gt 0 ]; then
    printf 'BREACH: %s\n' "${breaches[@]}" >&2
    echo "FAIL $verdict"
    exit 1
fi
echo "PASS $verdict"
