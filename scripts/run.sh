#!/usr/bin/env bash
# Builds dtma and runs it against the local Docker engine (installing and starting one if needed).
# Arguments go to dtma; without any it shows the engine and the containers dtma manages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
source scripts/lib.sh

ensure_packages ca-certificates curl pkg-config docker.io libcurl4-openssl-dev libsystemd-dev
ensure_swift
ensure_engine
swift build --product dtma >&2
exec .build/debug/dtma "${@:-engine}"
