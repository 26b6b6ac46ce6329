#!/usr/bin/env bash
# Builds dtma and runs the daemon against the local Docker engine (installing and starting one if
# needed). Without settings of its own it serves on 127.0.0.1:30000 with a development key kept in
# .dtma-dev.env (created once, mode 0600; the key is never printed).
#   scripts/run.sh                 dtma serve
#   scripts/run.sh engine          any other dtma command
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
source scripts/lib.sh

ensure_packages ca-certificates curl pkg-config docker.io libcurl4-openssl-dev libsystemd-dev
ensure_swift
ensure_engine
swift build --product dtma >&2

if [ $# -gt 0 ]; then
    exec .build/debug/dtma "$@"
fi

env_file=/etc/dtma/dtma.env
if [ -z "${BACKEND_TO_DTMA_API_KEY:-}" ] && [ ! -f "$env_file" ]; then
    env_file=.dtma-dev.env
    if [ ! -f "$env_file" ]; then
        (umask 077; printf 'BACKEND_TO_DTMA_API_KEY=%s\nDTMA_LISTEN_ADDRESS=127.0.0.1\n' \
            "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$env_file")
    fi
    log "development settings in $env_file; try: curl -H \"Authorization: Bearer \$(sed -n 's/^BACKEND_TO_DTMA_API_KEY=//p' $env_file)\" http://127.0.0.1:30000/status"
fi
exec .build/debug/dtma serve --env-file "$env_file"
