#!/usr/bin/env bash
# Builds the images the tests run, locally: there is no registry to pull from.
#   dtma-test/busybox:latest          a static busybox root filesystem (sh, cat, sleep, nc, …), ~2 MB
#   dtma-test/debian-runtime:latest   Debian 12 minbase plus only what dtma's release binary links
#                                     (libcurl4, libsystemd0): proof that it needs no Swift toolchain
#   dtma-test/mcp-python:latest       Debian 12 minbase with python3 and real MCP servers from PyPI:
#                                     the official `mcp` SDK (Tests/Support/Fixtures/mcp_server.py) and
#                                     `mcp-server-time` (a stdio server); the venv is also used on the host
#   dtma-test/mcp-time:latest         the same, running mcp-server-time by default (stdio, no port exposed)
#   dtma-test/mcp-http:latest         the same, its Streamable HTTP server on 8000 by default, EXPOSE 8000
# Idempotent: an image that exists is kept unless --rebuild is given; the Debian root filesystem is
# cached in /var/cache/dtma-test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

BUSYBOX_IMAGE=dtma-test/busybox:latest
RUNTIME_IMAGE=dtma-test/debian-runtime:latest
MCP_IMAGE=dtma-test/mcp-python:latest
MCP_TIME_IMAGE=dtma-test/mcp-time:latest
MCP_HTTP_IMAGE=dtma-test/mcp-http:latest
CACHE=/var/cache/dtma-test
# Pinned: the probe tests know what these servers say.
MCP_SDK_VERSION=2.3.0
MCP_TIME_VERSION=2026.10.19
PROMETHEUS_CLIENT_VERSION=0.26.0  # the tests parse /metrics with its parser
MCP_VENV=$CACHE/mcp-venv
MCP_FIXTURE=$here/../Tests/Support/Fixtures/mcp_server.py
rebuild=${1:-}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_busybox() {
    local busybox root
    busybox=$(command -v busybox) || die "busybox is not installed (apt-get install busybox-static)"
    file -L "$busybox" 2>/dev/null | grep -q "statically linked" || ldd "$busybox" 2>&1 | grep -q "not a dynamic" \
        || die "$busybox is not statically linked (apt-get install busybox-static)"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    mkdir -p "$root/bin" "$root/tmp" "$root/etc"
    cp "$busybox" "$root/bin/busybox"
    for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
    echo "nobody:x:65534:65534:nobody:/:/bin/false" >>"$root/etc/passwd"
    chmod 1777 "$root/tmp"
    tar -C "$root" -c . | docker import \
        -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' -c 'LABEL dtma.test-image=busybox' \
        - "$BUSYBOX_IMAGE" >/dev/null
    log "built $BUSYBOX_IMAGE"
}

build_runtime() {
    local tarball=$CACHE/debian-runtime.tar
    if [ ! -s "$tarball" ]; then
        ensure_packages mmdebstrap
        mkdir -p "$CACHE"
        log "mmdebstrap: Debian 12 minbase with libcurl4 and libsystemd0 (cached in $tarball)"
        mmdebstrap --quiet --format=tar --variant=minbase --include=libcurl4,libsystemd0,ca-certificates bookworm "$tarball.part" \
            || die "mmdebstrap failed (needs Debian's package mirrors)"
        mv "$tarball.part" "$tarball"
    fi
    docker import -c 'CMD ["/bin/sh"]' "$tarball" "$RUNTIME_IMAGE" >/dev/null
    log "built $RUNTIME_IMAGE"
}

# The venv runs on the host for loopback tests and is copied into the image: both are Debian 12's python3.
ensure_mcp_venv() {
    ensure_packages python3
    "$MCP_VENV/bin/python" - "$MCP_SDK_VERSION" "$MCP_TIME_VERSION" "$PROMETHEUS_CLIENT_VERSION" 2>/dev/null <<'PY' && return 0
import importlib.metadata as m, sys
sys.exit((m.version("mcp"), m.version("mcp-server-time"), m.version("prometheus-client")) != tuple(sys.argv[1:4]))
PY
    log "installing mcp==$MCP_SDK_VERSION, mcp-server-time==$MCP_TIME_VERSION, prometheus-client from PyPI into $MCP_VENV"
    rm -rf "$MCP_VENV"
    mkdir -p "$CACHE"
    /usr/bin/python3 -m venv "$MCP_VENV" 2>/dev/null || { ensure_packages python3-venv; rm -rf "$MCP_VENV"; /usr/bin/python3 -m venv "$MCP_VENV"; }
    "$MCP_VENV/bin/pip" install --quiet --disable-pip-version-check "mcp==$MCP_SDK_VERSION" "mcp-server-time==$MCP_TIME_VERSION" \
        "prometheus-client==$PROMETHEUS_CLIENT_VERSION" \
        || die "pip install of the MCP fixtures failed (needs PyPI)"
}

# What the MCP image is built from; a change (fixture edited, versions bumped) rebuilds it.
mcp_image_fingerprint() {
    { cat "$MCP_FIXTURE"; echo "$MCP_SDK_VERSION $MCP_TIME_VERSION"; } | sha256sum | cut -c1-16
}

build_mcp_python() {
    local tarball=$CACHE/debian-python.tar root
    if [ ! -s "$tarball" ]; then
        ensure_packages mmdebstrap
        mkdir -p "$CACHE"
        log "mmdebstrap: Debian 12 minbase with python3 (cached in $tarball)"
        mmdebstrap --quiet --format=tar --variant=minbase --include=python3 bookworm "$tarball.part" \
            || die "mmdebstrap failed (needs Debian's package mirrors)"
        mv "$tarball.part" "$tarball"
    fi
    root=$(mktemp -d)
    trap 'rm -rf "$root"' RETURN
    tar -xf "$tarball" -C "$root"
    mkdir -p "$root/opt/mcp"
    cp -a "$MCP_VENV" "$root/opt/mcp/venv"
    cp "$MCP_FIXTURE" "$root/opt/mcp/mcp_server.py"
    # Listens on every address inside its own network namespace; dtma publishes it on loopback.
    tar -C "$root" -c . | docker import \
        -c 'ENV PATH=/opt/mcp/venv/bin:/usr/bin:/bin PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 MCP_HOST=0.0.0.0' \
        -c 'CMD ["python", "/opt/mcp/mcp_server.py", "streamable-http", "8000"]' \
        -c "LABEL dtma.test-image=mcp-python dtma.fixture=$(mcp_image_fingerprint)" \
        - "$MCP_IMAGE" >/dev/null
    log "built $MCP_IMAGE"
}

mcp_image_current() {
    [ "$(docker image inspect -f '{{ index .Config.Labels "dtma.fixture" }}' "${1:-$MCP_IMAGE}" 2>/dev/null)" = "$(mcp_image_fingerprint)" ]
}

# Two MCP servers as a registry would ship them, the way the control plane deploys them (no
# command, no probe): what each image declares (its command, an exposed port) is all dtma learns.
build_mcp_variants() {
    local holder
    holder=$(docker create "$MCP_IMAGE")
    docker commit --change 'CMD ["python", "-m", "mcp_server_time"]' "$holder" "$MCP_TIME_IMAGE" >/dev/null
    docker commit --change 'EXPOSE 8000/tcp' "$holder" "$MCP_HTTP_IMAGE" >/dev/null
    docker rm "$holder" >/dev/null
    log "built $MCP_TIME_IMAGE and $MCP_HTTP_IMAGE"
}

if [ "$rebuild" = "--rebuild" ] || ! image_exists "$BUSYBOX_IMAGE"; then
    build_busybox
fi
if [ "$rebuild" = "--rebuild" ] || ! image_exists "$RUNTIME_IMAGE"; then
    build_runtime
fi
ensure_mcp_venv
if [ "$rebuild" = "--rebuild" ] || ! mcp_image_current; then
    build_mcp_python
fi
if [ "$rebuild" = "--rebuild" ] || ! mcp_image_current "$MCP_TIME_IMAGE" || ! mcp_image_current "$MCP_HTTP_IMAGE"; then
    build_mcp_variants
fi
