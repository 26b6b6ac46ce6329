"""A registry that stops mid-pull: a TCP proxy to a real registry that, once a response to a blob
request has passed CUT_AFTER bytes, closes that connection and refuses every later one (the
registry went away). Prints its port on stdout, then serves until killed.

    python3 cutting_proxy.py 127.0.0.1:5000 1048576
"""
import socket
import sys
import threading

upstream_host, upstream_port = sys.argv[1].rsplit(":", 1)
cut_after = int(sys.argv[2])
stopped = threading.Event()


def pipe(source, sink, counting):
    passed = 0
    try:
        while not stopped.is_set():
            data = source.recv(65536)
            if not data:
                break
            if counting:
                passed += len(data)
                if passed > cut_after:
                    sink.sendall(data[: len(data) - (passed - cut_after)])
                    stopped.set()
                    break
            sink.sendall(data)
    except OSError:
        pass
    for end in (source, sink):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()


def serve(client):
    if stopped.is_set():
        client.close()
        return
    head = client.recv(65536)
    upstream = socket.create_connection((upstream_host, int(upstream_port)))
    upstream.sendall(head)
    counting = b"/blobs/sha256:" in head.split(b"\r\n", 1)[0]
    threading.Thread(target=pipe, args=(client, upstream, False), daemon=True).start()
    pipe(upstream, client, counting)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
