#!/usr/bin/env bash
# Start-to-READY time of the release binary (dist/dtma, from scripts/build-release.sh): the time from
# exec to the READY=1 it sends on a NOTIFY_SOCKET this script binds, over several runs.
#   scripts/bench/startup.sh [runs, default 10]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
source scripts/lib.sh
ensure_engine
[ -x dist/dtma ] || scripts/build-release.sh
python3 - "${1:-10}" <<'PY'
import os, socket, statistics, subprocess, sys, tempfile, time
runs, times = int(sys.argv[1]), []
for run in range(runs):
    path = os.path.join(tempfile.mkdtemp(), "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(10)
    env = {"BACKEND_TO_DTMA_API_KEY": "startup-bench-key-0123456789abcdef", "DTMA_PORT": "0",
           "DTMA_LISTEN_ADDRESS": "127.0.0.1", "NOTIFY_SOCKET": path, "DTMA_LOG_LEVEL": "error", "PATH": "/usr/bin:/bin"}
    started = time.monotonic()
    child = subprocess.Popen(["dist/dtma", "serve", "--env-file", "/nonexistent"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while b"READY=1" not in server.recv(4096):
        pass
    times.append((time.monotonic() - started) * 1000)
    child.terminate()
    child.wait(timeout=30)
    server.close()
times.sort()
print(f"start to READY=1 over {runs} runs: median {statistics.median(times):.0f} ms, min {times[0]:.0f} ms, max {times[-1]:.0f} ms")
PY
