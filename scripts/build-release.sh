#!/usr/bin/env bash
# Builds the release binary a droplet runs (build_release in scripts/lib.sh), stripped.
# Fails when it needs a glibc newer than Ubuntu 22.04's (2.35). Prints size, SHA-256 and the
# shared libraries the droplet must have.   Output: dist/dtma, dist/dtma.sha256
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
source scripts/lib.sh

max_glibc=2.35
ensure_packages binutils pkg-config libcurl4-openssl-dev libsystemd-dev
ensure_swift
log "swift build -c release --static-swift-stdlib (hot code laid out together: scripts/release/hot-code.order)"
build_release dtma
mkdir -p dist
cp .build/release/dtma dist/dtma
strip dist/dtma

needed=$(objdump -T dist/dtma | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
if [ "$(printf '%s\n%s\n' "$needed" "$max_glibc" | sort -V | tail -n 1)" != "$max_glibc" ]; then
    objdump -T dist/dtma | grep "GLIBC_$needed" >&2
    die "dist/dtma needs glibc $needed; Ubuntu 22.04 has $max_glibc"
fi
(cd dist && sha256sum dtma >dtma.sha256)
size=$(stat -c %s dist/dtma)
echo "dist/dtma: $((size / 1024 / 1024)) MiB ($size bytes), newest glibc symbol $needed (limit $max_glibc)"
echo "sha256: $(cut -d' ' -f1 dist/dtma.sha256)"
echo "shared libraries: $(objdump -p dist/dtma | awk '/NEEDED/ { printf "%s ", $2 }')"
