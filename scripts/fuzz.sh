#!/usr/bin/env bash
# Fuzzes the HTTP1 decoders (response parser, Docker frame decoder, line framer, SSE parser) with libFuzzer and
# AddressSanitizer. Each input runs through all three, whole and sliced (see Fuzz/HTTP1Fuzz).
#   scripts/fuzz.sh [runs, default 1000000] [extra libFuzzer flags…]
# Seeds: the recorded engine responses in Tests/HTTP1Tests/Recorded. New corpus: .build-fuzz/corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
source scripts/lib.sh
ensure_swift

runs=${1:-1000000}
shift || true
out=.build-fuzz
mkdir -p "$out/corpus"
log "compiling the fuzzer (swiftc -sanitize=fuzzer,address)"
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name HTTP1Fuzz \
    Sources/HTTP1/*.swift Fuzz/HTTP1Fuzz/*.swift -o "$out/http1-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)

# Seeds: recorded responses behind a control byte, and a few framed/line-delimited streams.
for f in Tests/HTTP1Tests/Recorded/*.http; do
    { printf '\x07'; cat "$f"; } >"$out/corpus/seed-$(basename "$f")"
done
printf '\x03\x01\x00\x00\x00\x00\x00\x00\x04out\n\x02\x00\x00\x00\x00\x00\x00\x04err\n' >"$out/corpus/seed-frames"
printf '\x05{"status":"a"}\r\n\n{"status":"b"}\n' >"$out/corpus/seed-lines"
printf '\x02event: endpoint\r\ndata: /messages/?session_id=1\r\n\r\n: ping\rdata: x\r\r' >"$out/corpus/seed-events"

log "running $runs inputs"
# Swift's own crash backtracer can hang under ASan; libFuzzer reports crashes by itself.
export SWIFT_BACKTRACE=enable=no
"$out/http1-fuzz" -runs="$runs" -max_len=4096 -print_final_stats=1 "$@" "$out/corpus" 2>&1 | tee "$out/last-run.log" | tail -n 20
grep -q "Done $runs runs" "$out/last-run.log" || die "the fuzzer stopped before $runs runs (see $out/last-run.log)"
