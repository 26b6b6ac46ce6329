"""Sequential MCP tool calls through a Streamable HTTP endpoint, for scripts/bench/gateway.sh.

    gateway_client.py URL COUNT [BEARER]

Initializes one session, sends notifications/initialized, calls `add` 10 times to warm up, then
COUNT times, each answer checked; prints one JSON line: {"p50_ms", "p99_ms", "mean_ms", "calls"}.
Plain http.client on one kept-alive connection, so the client costs both endpoints the same.
"""
import http.client
import json
import statistics
import sys
import time
import urllib.parse

url, count = sys.argv[1], int(sys.argv[2])
bearer = sys.argv[3] if len(sys.argv) > 3 else None
target = urllib.parse.urlsplit(url)
connection = http.client.HTTPConnection(target.hostname, target.port)
headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
if bearer:
    headers["Authorization"] = f"Bearer {bearer}"


def post(message):
    connection.request("POST", target.path, json.dumps(message), headers)
    response = connection.getresponse()
    body = response.read().decode()
    if response.status >= 300:
        sys.exit(f"{url}: HTTP {response.status}: {body[:300]}")
    session = response.getheader("Mcp-Session-Id")
    if body.lstrip().startswith("{"):
        return session, json.loads(body)
    data = [line[5:] for line in body.splitlines() if line.startswith("data:")]
    return session, json.loads(data[-1]) if data else None


session, _ = post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
if session:
    headers["Mcp-Session-Id"] = session
headers["MCP-Protocol-Version"] = "2025-06-18"
post({"jsonrpc": "2.0", "method": "notifications/initialized"})

latencies = []
for index in range(10 + count):
    started = time.perf_counter()
    _, answer = post({"jsonrpc": "2.0", "id": index + 1, "method": "tools/call",
                      "params": {"name": "add", "arguments": {"a": index, "b": 1}}})
    elapsed = (time.perf_counter() - started) * 1000
    text = answer["result"]["content"][0]["text"]
    if answer["id"] != index + 1 or int(text) != index + 1:
        sys.exit(f"{url}: wrong answer {answer}")
    if index >= 10:
        latencies.append(elapsed)
latencies.sort()
print(json.dumps({
    "p50_ms": round(statistics.median(latencies), 3),
    "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
    "mean_ms": round(statistics.mean(latencies), 3),
    "calls": len(latencies),
}))
