#!/usr/bin/env bash
# The one test command: on a fresh Debian 12 machine (as root) it installs what is missing, starts a
# Docker engine if none answers, builds the test images locally, then runs every test.
# Idempotent; exits non-zero on any failure. Extra arguments go to `swift test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
source scripts/lib.sh

# A real MCP server for the probe tests: the official Python SDK from PyPI, pinned, in a venv.
MCP_SDK_VERSION=2.3.0
MCP_VENV=/var/cache/dtma-test/mcp-venv
ensure_mcp_sdk() {
    "$MCP_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$MCP_SDK_VERSION')" 2>/dev/null && return 0
    log "installing mcp==$MCP_SDK_VERSION from PyPI into $MCP_VENV"
    rm -rf "$MCP_VENV"
    mkdir -p "$(dirname "$MCP_VENV")"
    python3 -m venv "$MCP_VENV" 2>/dev/null || { ensure_packages python3-venv; /usr/bin/python3 -m venv "$MCP_VENV"; }
    "$MCP_VENV/bin/pip" install --quiet "mcp==$MCP_SDK_VERSION" || die "pip install mcp==$MCP_SDK_VERSION failed"
}

ensure_packages ca-certificates curl file openssl python3 pkg-config docker.io busybox-static libcurl4-openssl-dev libsystemd-dev systemd cloud-init
ensure_swift
ensure_engine
scripts/test-images.sh
ensure_mcp_sdk
# The release binary, for the test that runs it in a bare Debian root filesystem.
scripts/build-release.sh

log "swift test"
# Integration suites fail instead of skipping when the engine is required but missing.
export DTMA_REQUIRE_DOCKER=1
swift test "$@"
