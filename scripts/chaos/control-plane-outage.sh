#!/usr/bin/env bash
# The control plane fails under a running dtma for SECONDS in total (default 600), a quarter each:
# it refuses connections, it answers too late (dtma times out), it answers 500, and it presents a certificate
# from a CA dtma does not trust. dtma must not crash, must back off (no more attempts than its
# schedule allows), keep its anonymous RSS flat (±1 MB: the heap, where a leak lives; code pages come
# back as error paths run for the first time), and deliver a heartbeat within one interval of the
# receiver's recovery. The receiver is a local HTTPS server (Tests/Support/Fixtures/control_plane.py).
#   scripts/chaos/control-plane-outage.sh [seconds, default 600] [heartbeat interval, default 5]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
source scripts/bench/lib.sh

seconds=${1:-600}
interval=${2:-5}
port=30779
ensure_packages curl python3 openssl docker.io
ensure_swift
ensure_engine
bench_build
trusted=$(mktemp -d)
stranger=$(mktemp -d)
log_file=$(mktemp /tmp/dtma-outage.XXXXXX.log)
receiver_pid=""
stop_receiver() {
    if [ -n "$receiver_pid" ]; then kill "$receiver_pid" 2>/dev/null || true; wait "$receiver_pid" 2>/dev/null || true; fi
    receiver_pid=""
}
trap 'stop_receiver; bench_cleanup; rm -rf "$trusted" "$stranger" "$log_file"' EXIT

# start_receiver DIR [PORT]: the fixture over TLS with DIR's certificates; sets receiver_port.
start_receiver() {
    local out
    out=$(mktemp)
    python3 Tests/Support/Fixtures/control_plane.py "$1" ${2:-} >"$out" 2>&1 &
    receiver_pid=$!
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    receiver_port=$(head -n 1 "$out")
    rm -f "$out"
    [[ "$receiver_port" =~ ^[0-9]+$ ]] || die "the control plane fixture did not start"
}
set_mode() { curl -sf --cacert "$trusted/ca.pem" "https://127.0.0.1:$receiver_port/_mode" -d "{\"mode\":\"$1\"}" >/dev/null; }
beats() { wc -l <"$trusted/requests.jsonl" 2>/dev/null || echo 0; }

start_receiver "$trusted"
cp_port=$receiver_port
bench_start_dtma "$port" AGENTOPIA_API_BASE_URL="https://127.0.0.1:$cp_port" DTMA_BEARER_TOKEN=droplet-token-for-tests \
    DTMA_CONTROL_PLANE_CA_FILE="$trusted/ca.pem" DTMA_HEARTBEAT_INTERVAL_SECONDS="$interval" DTMA_LOG_LEVEL=critical
dtma_pid=$DTMA_PID
for _ in $(seq 50); do [ "$(beats)" -ge 2 ] && break; sleep 0.5; done
[ "$(beats)" -ge 2 ] || die "no heartbeats arrive before the outage"
sleep "$interval"
rss_before=$(rss_anon_kb "$dtma_pid")
phase=$((seconds / 4))

log "outage 1/4: connections refused for $phase s"
stop_receiver
sleep "$phase"
log "outage 2/4: answers later than dtma waits (it times out), for $phase s"
start_receiver "$trusted" "$cp_port"
set_mode hang
sleep "$phase"
log "outage 3/4: HTTP 500 for $phase s"
set_mode error
attempts_before=$(beats)
sleep "$phase"
attempts_500=$(( $(beats) - attempts_before ))
log "outage 4/4: a certificate from a CA dtma does not trust, for $phase s"
stop_receiver
start_receiver "$stranger" "$cp_port"
sleep "$phase"
stop_receiver

rss_after=$(rss_anon_kb "$dtma_pid")
alive=$(kill -0 "$dtma_pid" 2>/dev/null && echo yes || echo no)
log "recovery: the trusted receiver again"
start_receiver "$trusted" "$cp_port"
set_mode ok
recovered_at=$SECONDS
before=$(beats)
while [ $((SECONDS - recovered_at)) -le $((interval + 2)) ] && [ "$(beats)" -le "$before" ]; do sleep 0.2; done
delivered=$([ "$(beats)" -gt "$before" ] && echo "$((SECONDS - recovered_at)) s" || echo never)

breaches=()
[ "$alive" = yes ] || breaches+=("dtma died during the outage")
growth=$((rss_after - rss_before))
[ "${growth#-}" -le 1024 ] || breaches+=("anonymous RSS moved by $growth kB (limit ±1024)")
# Backing off: during the 500 phase at most one attempt per 5 s (the first backoff), usually far fewer.
[ "$attempts_500" -le $((phase / 5 + 2)) ] || breaches+=("$attempts_500 attempts in $phase s of HTTP 500: not backing off")
[ "$delivered" != never ] || breaches+=("no heartbeat within one interval ($interval s) of the recovery")
kill -0 "$dtma_pid" 2>/dev/null || breaches+=("dtma died after the recovery")

verdict="control plane outage of $seconds s (refused, hanging, 500, untrusted TLS): dtma alive: $alive, anonymous RSS ${rss_before} → ${rss_after} kB ($growth kB), $attempts_500 attempts in $phase s of 500s, first heartbeat after recovery: $delivered (interval $interval s)"
if [ ${#breaches[@]} -gt 0 ]; then
    printf 'BREACH: %s\n' "${breaches[@]}" >&2
    echo "FAIL $verdict"
    exit 1
fi
echo "PASS $verdict"
