"""MCP servers for dtma's probe tests: the official Python SDK from PyPI (`mcp`), and one that is not MCP.

    mcp_server.py streamable-http PORT [--json]   Streamable HTTP on 127.0.0.1:PORT/mcp (SSE replies, or JSON with --json)
    mcp_server.py sse PORT                        legacy HTTP+SSE on /sse
    mcp_server.py stdio                           newline-delimited JSON-RPC on stdin/stdout
    mcp_server.py plain PORT                      an HTTP server that is not MCP: 404 for everything

HTTP servers listen on $MCP_HOST (default 127.0.0.1; the container image sets 0.0.0.0).
"""
import os
import sys

HOST = os.environ.get("MCP_HOST", "127.0.0.1")


def plain(port):
    # socketserver, not http.server.HTTPServer: the latter resolves its own name, slow without DNS.
    import socketserver
    from http.server import BaseHTTPRequestHandler

    class NotMCP(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = answer

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer((HOST, port), NotMCP) as server:
        server.serve_forever()


transport = sys.argv[1]
if transport == "plain":
    plain(int(sys.argv[2]))
    sys.exit(0)

from mcp.server.mcpserver import MCPServer  # noqa: E402

server = MCPServer("dtma-fixture")


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two numbers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Says it back."""
    return text


if transport == "stdio":
    server.run("stdio")
elif transport == "sse":
    server.run("sse", host=HOST, port=int(sys.argv[2]))
else:
    server.run("streamable-http", host=HOST, port=int(sys.argv[2]), json_response="--json" in sys.argv)
