"""A real MCP server from the official Python SDK (PyPI `mcp`), for dtma's probe tests.

    mcp_server.py streamable-http PORT [--json]   Streamable HTTP on 127.0.0.1:PORT/mcp (SSE replies, or JSON with --json)
    mcp_server.py sse PORT                        legacy HTTP+SSE on /sse
    mcp_server.py stdio                           newline-delimited JSON-RPC on stdin/stdout
"""
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("dtma-fixture")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Says it back."""
    return text


transport = sys.argv[1]
if transport == "stdio":
    server.run("stdio")
elif transport == "sse":
    server.run("sse", host="127.0.0.1", port=int(sys.argv[2]))
else:
    server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]), json_response="--json" in sys.argv)
