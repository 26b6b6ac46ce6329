#!/usr/bin/env bash
# The one test command: on a fresh Debian 12 machine (as root) it installs what is missing, starts a
# Docker engine if none answers, builds the test images locally, then runs every test.
# Idempotent; exits non-zero on any failure. Extra arguments go to `swift test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
source scripts/lib.sh

ensure_packages ca-certificates curl file openssl python3 pkg-config docker.io busybox-static libcurl4-openssl-dev libsystemd-dev systemd cloud-init
ensure_swift
ensure_engine
scripts/test-images.sh
# A real registry on 127.0.0.1 with the test images pushed to it: the pull tests really pull.
scripts/test-registry.sh
export DTMA_TEST_REGISTRY=127.0.0.1:5000
# The release binary, for the test that runs it in a bare Debian root filesystem.
scripts/build-release.sh

swift build --build-tests
log "swift test: the parallel pass (no engine: what runs against the in-memory one)"
# The suites of dtma's own logic, in parallel, with no engine to reach: one that needed dockerd
# would fail here. Those that need an engine or the machine to themselves are skipped.
DTMA_TEST_PASS=parallel DOCKER_HOST=unix:///nonexistent/docker.sock swift test --skip-build --parallel "$@"
log "swift test: the serial pass (the real engine, real processes)"
# Integration suites fail instead of skipping when the engine is required but missing.
export DTMA_REQUIRE_DOCKER=1
# One suite at a time: a handful of real MCP servers starting at once fill this machine's two
# cores, and the suites that measure back-off and timeouts must not share them (≈ 95 s in all).
# The parallel pass's suites run again here (≈ 5 s): a filter by kind is not worth its upkeep.
DTMA_TEST_PASS=serial swift test --skip-build --no-parallel "$@"

# Short chaos runs, alone after the suites (they kill dtma, restart the engine, fuzz the API);
# scripts/chaos/all.sh runs the long ones.
if [ $# -eq 0 ]; then
    log "chaos: dtma killed with SIGKILL under probed tools"
    scripts/chaos/agent-kill.sh 4 10
    log "chaos: the engine restarted under dtma"
    scripts/chaos/engine-restart.sh 2 30
    log "chaos: generated and hostile requests"
    scripts/chaos/bad-input.sh 30
    log "chaos: a flood of hostile connections and streams, dtma in a 256 MiB cgroup"
    # Never killed, memory back, /health always answering and never stalled; its p99 target (50 ms)
    # is the full run's (scripts/chaos/all.sh): on this shared two-core machine the same binary's
    # p99 was measured from 20 ms to 250 ms from one hour to the next.
    scripts/chaos/flood.sh 15 500
fi
