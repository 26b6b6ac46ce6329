# Shared by scripts/run.sh and scripts/test.sh: install what a fresh Debian/Ubuntu machine lacks,
# and make sure a Docker engine answers on its socket. Source it; do not run it.

DOCKER_SOCKET=${DOCKER_SOCKET:-/var/run/docker.sock}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Installs the Debian packages that are missing, with one apt-get call.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root or install them first"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
}

engine_answers() {
    curl -sf --max-time 2 --unix-socket "$DOCKER_SOCKET" http://docker/_ping >/dev/null 2>&1
}

# Starts dockerd in the background when nothing answers GET /_ping; waits at most 60 s for it.
ensure_engine() {
    engine_answers && return 0
    command -v dockerd >/dev/null || die "dockerd is not installed (apt-get install docker.io)"
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
        systemctl start docker >/dev/null 2>&1 || true
    fi
    if ! engine_answers; then
        log "starting dockerd in the background (log: /var/log/dtma-dockerd.log)"
        pgrep -x dockerd >/dev/null || nohup dockerd >/var/log/dtma-dockerd.log 2>&1 &
    fi
    for _ in $(seq 60); do
        engine_answers && return 0
        sleep 1
    done
    tail -n 20 /var/log/dtma-dockerd.log >&2 2>/dev/null || true
    die "the Docker engine did not answer on $DOCKER_SOCKET within 60 s (see /var/log/dtma-dockerd.log)"
}

# build_release PRODUCT [swift build options]: the release build a droplet runs, shared by scripts/build-release.sh, the
# benchmarks and the chaos checks. Optimized, Swift runtime linked in statically, and with
# scripts/release/toolset.json: every function in a section of its own, so that the linker lays the
# code a running daemon executes side by side (scripts/release/hot-code.order, written by
# scripts/release/profile-hot-code.sh; the kernel maps code 64 KiB around each page touched, so hot
# code scattered over the binary keeps most of it resident), and no --export-dynamic (the static
# runtime's default; nothing looks our symbols up at run time).
build_release() {
    local release_dir
    release_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/release" && pwd)
    swift build -c release --static-swift-stdlib --product "$1" --toolset "$release_dir/toolset.json" \
        -Xlinker "--section-ordering-file=$release_dir/hot-code.order" "${@:2}" >&2
}

# Puts the Swift toolchain on PATH when it lives in /opt/swift.
ensure_swift() {
    command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
    command -v swift >/dev/null || die "no Swift toolchain found (expected swift on PATH or in /opt/swift/usr/bin)"
}
