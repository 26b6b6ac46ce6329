#!/usr/bin/env bash
# Image pulls from the local registry (scripts/test-registry.sh), each round from nothing: dtma's
# POST /images/pull against the docker CLI's pull (the peer) of the same image, in one run; then N
# pulls of one image at once through dtma (joined into one engine pull) against N docker pulls at
# once. Prints each round's time, the medians and the ratios. Figures, not a test.
#   scripts/bench/pull.sh [rounds, default 5] [concurrent callers, default 8]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh

rounds=${1:-5}
callers=${2:-8}
port=30557
source scripts/bench/lib.sh
ensure_packages curl docker.io busybox-static file
ensure_swift
ensure_engine
scripts/test-images.sh
scripts/test-registry.sh
image=127.0.0.1:5000/dtma-test/pull-fixture:latest
bench_build
trap 'bench_cleanup; docker image rm "$image" >/dev/null 2>&1 || true' EXIT
bench_start_dtma "$port"

forget() { docker image rm "$image" >/dev/null 2>&1 || true; }
dtma_pull() {
    curl -sf -N -H "Authorization: Bearer $BENCH_KEY" -H 'Content-Type: application/json' \
        "http://127.0.0.1:$port/images/pull" -d "{\"image\":\"$image\"}" | tail -1 | grep -q '"status":"pulled"'
}
docker_pull() { docker pull -q "$image" >/dev/null; }
# seconds CMD…: how long CMD took, in seconds.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" || die "$* failed"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
many() {
    local pids=()
    for _ in $(seq "$callers"); do "$1" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || return 1; done
}
dtma_many() { many dtma_pull; }
docker_many() { many docker_pull; }

results=$(mktemp)
for round in $(seq "$rounds"); do
    for case in dtma_pull docker_pull dtma_many docker_many; do
        forget
        echo "$case $(seconds "$case")" | tee -a "$results"
    done
done
python3 - "$results" "$callers" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, took = line.split()
    rows.setdefault(name, []).append(float(took))
median = {name: statistics.median(times) for name, times in rows.items()}
n = sys.argv[2]
print()
print(f"one pull of an 8 MiB layer from nothing, median of {len(rows['dtma_pull'])}: dtma {median['dtma_pull'] * 1000:.0f} ms, "
      f"docker CLI {median['docker_pull'] * 1000:.0f} ms, dtma/docker = {median['dtma_pull'] / median['docker_pull']:.2f}x")
print(f"{n} pulls of it at once: dtma {median['dtma_many'] * 1000:.0f} ms (one engine pull, joined), "
      f"docker CLI {median['docker_many'] * 1000:.0f} ms, dtma/docker = {median['dtma_many'] / median['docker_many']:.2f}x")
PY
rm -f "$results"
