"""The official MCP SDK's client (the `mcp` package) against dtma's gateway, for the gateway tests.

    mcp_client.py URL KEY [CLIENTS]

Each of CLIENTS sessions (default 1) initializes, lists the tools and calls `add` with arguments of
its own, at the same time; then prints one JSON line per client:
{"client": i, "server": name, "version": v, "tools": [...], "sum": n, "expected": m}.
"""
import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def one(url, key, index):
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {key}"}) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, *_):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                tools = await session.list_tools()
                a, b = index * 1000, index + 1
                result = await session.call_tool("add", {"a": a, "b": b})
                return {
                    "client": index, "server": init.server_info.name, "version": init.protocol_version,
                    "tools": sorted(t.name for t in tools.tools), "sum": int(result.content[0].text), "expected": a + b,
                }


async def main(url, key, clients):
    for line in await asyncio.gather(*(one(url, key, i) for i in range(clients))):
        print(json.dumps(line), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1))
