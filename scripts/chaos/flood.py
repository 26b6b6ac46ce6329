"""The flood of scripts/chaos/flood.sh: hostile clients against a dtma on 127.0.0.1, each kind from
its own loopback address, while /health is timed from 127.0.0.1 (by this script in a process of its
own) and dtma's RSS is read from /proc.

    flood.py PORT KEY TOOL PID SECONDS

Kinds: unauthenticated heads that never end (70 KB, sent slowly), idle connections, authenticated
bodies that stall, followed logs and /events streams whose readers read nothing. Every loop stops
by itself after SECONDS; every socket is closed before the after-flood reading. Prints one JSON line.
"""
import asyncio
import json
import socket
import sys
import time

if sys.argv[1] == "--health":  # flood.py --health PORT SECONDS: the sampler's own process
    PORT = int(sys.argv[2])
else:
    PORT, KEY, TOOL, PID, SECONDS = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
PER_KIND = 150  # more than dtma's 128 connections per address, so the per-address cap is met too
counts = {}


def count(name):
    counts[name] = counts.get(name, 0) + 1


def rss_kb(field="VmRSS"):
    """0 once dtma is gone (killed): the verdict says so."""
    try:
        with open(f"/proc/{PID}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


async def connect(source, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.bind((source, 0))
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", PORT))
    return sock


async def hold(sock, until, send=None, pace=0.0):
    """Sends `send` (bytes) `pace` seconds a KiB apart, then waits, never reading, until dtma closes or `until`."""
    loop = asyncio.get_running_loop()
    try:
        for offset in range(0, len(send or b""), 1024):
            await loop.sock_sendall(sock, send[offset:offset + 1024])
            if pace:
                await asyncio.sleep(pace)
            if time.monotonic() > until:
                return "held"
        while time.monotonic() < until:
            # A zero-byte peek tells a close without reading what dtma sent.
            await asyncio.sleep(0.5)
            try:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return "closed"
            except BlockingIOError:
                continue
        return "held"
    except OSError:
        return "closed"
    finally:
        sock.close()


async def repeatedly(kind, source, until, make_request=lambda: None, pace=0.0, receive_buffer=None):
    while time.monotonic() < until:
        try:
            sock = await connect(source, receive_buffer)
        except OSError:
            count(f"{kind}: connect failed")
            await asyncio.sleep(0.2)
            continue
        count(f"{kind}: {await hold(sock, until, make_request(), pace)}")
        await asyncio.sleep(0.05)


def authorized(head):
    return f"{head}\r\nHost: a\r\nAuthorization: Bearer {KEY}\r\n\r\n".encode()


def health_sampler(seconds):
    """Times /health from 127.0.0.1 with blocking sockets, in a process of its own: in the flood's
    event loop a reply would wait behind hundreds of hostile coroutines, and the figure would be the
    flooder's latency, not dtma's. Prints one JSON line: latencies in ms and failures."""
    until = time.monotonic() + seconds
    latencies, failures = [], []
    while time.monotonic() < until:
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", PORT), timeout=2) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                answer = sock.recv(4096)
            if answer.startswith(b"HTTP/1.1 200 "):
                latencies.append((time.monotonic() - started) * 1000)
            else:
                failures.append(answer[:40].decode(errors="replace"))
        except OSError as error:
            failures.append(type(error).__name__)
        time.sleep(0.02)
    print(json.dumps({"latencies": latencies, "failures": failures}))


async def rss_sampler(until, peak):
    while time.monotonic() < until:
        peak[0] = max(peak[0], rss_kb())
        await asyncio.sleep(0.2)


async def main():
    start_rss, start_anon = rss_kb(), rss_kb("RssAnon")
    until = time.monotonic() + SECONDS
    peak = [0]
    sampler = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--health", str(PORT), str(SECONDS), stdout=asyncio.subprocess.PIPE)
    endless_head = b"GET /status?" + b"a" * 70_000
    stalled_body = f"POST /tools HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{".encode()
    tasks = [rss_sampler(until, peak)]
    for source in ("127.0.0.2", "127.0.0.3"):
        tasks += [repeatedly("endless head", source, until, lambda: endless_head, pace=0.01) for _ in range(PER_KIND)]
    for source in ("127.0.0.4", "127.0.0.5"):
        tasks += [repeatedly("idle", source, until) for _ in range(PER_KIND)]
    tasks += [repeatedly("stalled body", "127.0.0.6", until, lambda: stalled_body) for _ in range(20)]
    log_request = authorized(f"GET /tools/{TOOL}/logs?follow=true&tail=10000 HTTP/1.1")
    tasks += [repeatedly("unread log", "127.0.0.7", until, lambda: log_request, receive_buffer=4096) for _ in range(12)]
    events_request = authorized("GET /events HTTP/1.1")
    tasks += [repeatedly("unread events", "127.0.0.8", until, lambda: events_request, receive_buffer=4096) for _ in range(20)]
    await asyncio.gather(*tasks)
    health = json.loads((await sampler.communicate())[0])
    latencies, failures = health["latencies"], health["failures"]
    # Every socket is closed now; dtma has 10 s to come back down.
    await asyncio.sleep(10)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    print(json.dumps({
        "start_rss_kb": start_rss, "peak_rss_kb": peak[0], "after_rss_kb": rss_kb(),
        "start_anon_kb": start_anon, "after_anon_kb": rss_kb("RssAnon"),
        "health_answers": len(latencies), "health_failures": len(failures), "health_failure_kinds": sorted(set(failures))[:5],
        "health_p50_ms": latencies[len(latencies) // 2] if latencies else None, "health_p99_ms": p99,
        "health_max_ms": latencies[-1] if latencies else None, "connections": counts,
    }))


if sys.argv[1] == "--health":
    health_sampler(float(sys.argv[3]))
else:
    asyncio.run(main())
