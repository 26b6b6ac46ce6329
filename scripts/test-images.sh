#!/usr/bin/env bash
# Builds the images the tests run, locally: there is no registry to pull from.
#   dtma-test/busybox:latest          a static busybox root filesystem (sh, cat, sleep, nc, …), ~2 MB
#   dtma-test/debian-runtime:latest   Debian 12 minbase plus only what dtma's release binary links
#                                     (libcurl4, libsystemd0): proof that it needs no Swift toolchain
# Idempotent: an image that exists is kept unless --rebuild is given; the Debian root filesystem is
# cached in /var/cache/dtma-test.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

BUSYBOX_IMAGE=dtma-test/busybox:latest
RUNTIME_IMAGE=dtma-test/debian-runtime:latest
CACHE=/var/cache/dtma-test
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
        mmdebstrap --quiet --variant=minbase --include=libcurl4,libsystemd0,ca-certificates bookworm "$tarball.part" \
            || die "mmdebstrap failed (needs Debian's package mirrors)"
        mv "$tarball.part" "$tarball"
    fi
    docker import -c 'CMD ["/bin/sh"]' "$tarball" "$RUNTIME_IMAGE" >/dev/null
    log "built $RUNTIME_IMAGE"
}

if [ "$rebuild" = "--rebuild" ] || ! image_exists "$BUSYBOX_IMAGE"; then
    build_busybox
fi
if [ "$rebuild" = "--rebuild" ] || ! image_exists "$RUNTIME_IMAGE"; then
    build_runtime
fi
