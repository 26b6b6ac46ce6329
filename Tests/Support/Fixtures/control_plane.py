"""A stand-in control plane over HTTPS for dtma's tests: Python's http.server wrapped in TLS with a
CA made here by openssl. Records every request as a JSON line; behaves as told by POST /_mode.

    python3 control_plane.py DIR [PORT]  -> prints "PORT" once listening; DIR receives ca.pem and requests.jsonl
                                            (certificates already in DIR are reused: a restart keeps the CA)

Modes: ok (204 for /heartbeat, secrets for /fetch-tool-secrets), error (500), slow (answers after 3 s),
hang (answers after 60 s),
unauthorized (401). Secrets come from DIR/secrets.json when present.
"""
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

directory = sys.argv[1]
TOKEN = "droplet-token-for-tests"  # ControlPlaneFixture.token: like the real function, others get 401
state = {"mode": "ok"}
lock = threading.Lock()


def make_certificates():
    def run(*args):
        subprocess.run(["openssl", *args], check=True, cwd=directory, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=dtma test CA",
        "-keyout", "ca.key", "-out", "ca.pem")
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(directory, "san.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
        "-extfile", "san.cnf", "-out", "server.pem")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/_mode":
            state["mode"] = json.loads(body)["mode"]
            return self.answer(200, b"{}")
        with lock:
            with open(os.path.join(directory, "requests.jsonl"), "a") as f:
                f.write(json.dumps({
                    "path": self.path, "time": time.time(), "mode": state["mode"],
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "body": body.decode("utf-8", "replace"),
                }) + "\n")
        mode = state["mode"]
        if mode == "slow":
            time.sleep(3)
        if mode == "hang":
            time.sleep(60)  # longer than any client waits: a timeout
        if mode == "error":
            return self.answer(500, b'{"error":"boom"}')
        if mode == "unauthorized" or self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.answer(401, b'{"error":"unknown token"}')
        if self.path.endswith("/heartbeat"):
            try:
                json.loads(body)
            except ValueError:
                return self.answer(400, b'{"error":"invalid JSON"}')
        if self.path.endswith("/fetch-tool-secrets"):
            path = os.path.join(directory, "secrets.json")
            secrets = json.load(open(path)) if os.path.exists(path) else {}
            return self.answer(200, json.dumps({"secrets": secrets}).encode())
        return self.answer(204, b"")

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if not os.path.exists(os.path.join(directory, "server.pem")):
    make_certificates()
ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(os.path.join(directory, "server.pem"), os.path.join(directory, "server.key"))
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
