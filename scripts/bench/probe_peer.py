"""The peer for scripts/bench/probe.sh: the official Python MCP client (PyPI `mcp`) doing the
exchange dtma's probe does, against the same server, back to back. Prints one line like ProbeBench:
`python <case> n <count> p50 <ms> p99 <ms> failures <count>`.

    probe_peer.py http PORT COUNT          connect, initialize, ping, tools/list, close (DELETE) per probe
    probe_peer.py http-modern PORT COUNT   connect, server/discover, tools/list per probe (2026-07-28)
    probe_peer.py sse PORT COUNT           initialize, ping, tools/list over HTTP+SSE (GET /sse per probe)
    probe_peer.py stdio CONTAINER COUNT    one connection through `docker attach`; server/discover + tools/list per probe
"""
import asyncio
import warnings
import sys
import time

from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp_types.version import LATEST_MODERN_VERSION

warnings.filterwarnings("ignore", message="ping is removed")  # the legacy handshake is the point


async def timed(probe, count):
    for _ in range(10):  # warm-up, as ProbeBench
        await probe()
    latencies, failures = [], 0
    for _ in range(count):
        start = time.perf_counter()
        try:
            await probe()
            latencies.append((time.perf_counter() - start) * 1000)
        except Exception:  # noqa: BLE001 - a failure is a figure here
            failures += 1
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] if latencies else float("nan")
    return p50, p99, failures


async def main():
    mode, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode in ("http", "http-modern", "sse"):
        era = "auto" if mode == "http-modern" else "legacy"

        async def probe():
            server = sse_client(f"http://127.0.0.1:{target}/sse") if mode == "sse" else f"http://127.0.0.1:{target}/mcp"
            async with Client(server, mode=era, cache=None) as client:
                if era == "legacy":
                    await client.send_ping()
                await client.list_tools()

        name = {"http": "streamable-http (legacy handshake)", "http-modern": "streamable-http (2026-07-28)", "sse": "http+sse (legacy)"}[mode]
        p50, p99, failures = await timed(probe, count)
    else:
        params = StdioServerParameters(command="docker", args=["attach", "--sig-proxy=false", target])
        async with Client(params, cache=None) as client:
            async def probe():
                await client.session.send_discover(LATEST_MODERN_VERSION)  # discover() answers from its cache
                await client.list_tools()

            name = "stdio over attach"
            p50, p99, failures = await timed(probe, count)
    print(f"python {name} n {count} p50 {p50:.2f} p99 {p99:.2f} failures {failures}")


asyncio.run(main())
