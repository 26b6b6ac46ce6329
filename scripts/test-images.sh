#!/usr/bin/env bash
# Builds the images the tests run, locally: there is no registry to pull from.
#   dtma-test/busybox:latest  a static busybox root filesystem (sh, cat, sleep, nc, …), ~2 MB
# Idempotent: an image that exists is kept unless --rebuild is given.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

BUSYBOX_IMAGE=dtma-test/busybox:latest
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

if [ "$rebuild" = "--rebuild" ] || ! image_exists "$BUSYBOX_IMAGE"; then
    build_busybox
fi
