#!/usr/bin/env bash
# The whole test suite under ThreadSanitizer and then AddressSanitizer, each in its own build
# folder (.build-tsan, .build-asan), against the real engine. Slow: a build of its own each.
#   scripts/chaos/sanitizers.sh [thread|address …]   (default: both)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
ensure_swift
ensure_engine
scripts/test-images.sh
# The deployment suite runs the release binary (dist/dtma) in a bare Debian root: built once, here too.
scripts/build-release.sh
# Swift's crash backtracer can hang under a sanitizer; the sanitizers report by themselves.
export SWIFT_BACKTRACE=enable=no DTMA_REQUIRE_DOCKER=1
# Leaks in the toolchain's own libraries are known and listed; dtma's are not suppressed.
export LSAN_OPTIONS="suppressions=$here/scripts/chaos/lsan.supp:print_suppressions=0"
results=()
for sanitizer in "${@:-thread address}"; do
    for kind in $sanitizer; do
        log "swift test --sanitize=$kind (scratch .build-${kind:0:1}san)"
        started=$SECONDS
        mkdir -p ".build-${kind:0:1}san"
        if swift test --no-parallel --sanitize="$kind" --scratch-path ".build-${kind:0:1}san" >".build-${kind:0:1}san/sanitizer.log" 2>&1 \
            && ! grep -qE "WARNING: ThreadSanitizer|ERROR: AddressSanitizer" ".build-${kind:0:1}san/sanitizer.log"; then
            results+=("PASS $kind: $(grep -oE 'Test run with [0-9]+ tests in [0-9]+ suites passed' ".build-${kind:0:1}san/sanitizer.log" | tail -n 1) in $((SECONDS - started)) s")
        else
            results+=("FAIL $kind: see .build-${kind:0:1}san/sanitizer.log ($(grep -cE 'WARNING: ThreadSanitizer|ERROR: AddressSanitizer' ".build-${kind:0:1}san/sanitizer.log" || true) sanitizer reports)")
        fi
    done
done
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q '^FAIL'
