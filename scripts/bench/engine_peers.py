"""Peers for scripts/bench/engine.sh: the Python Docker SDK's low-level client on its keep-alive
session, sequential and from N threads. Prints `case requests seconds req/s cpu_us_per_req`."""
import sys
import threading
import time

import docker

container, seconds, concurrency = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
filters = {"label": ["dtma.bench=1"]}


def measure(name, workers, operation):
    for _ in range(50):
        operation()
    counts = [0] * workers
    deadline = time.monotonic() + seconds

    def work(slot):
        while time.monotonic() < deadline:
            operation()
            counts[slot] += 1

    cpu0, t0 = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, total = time.monotonic() - t0, sum(counts)
    cpu = (time.process_time() - cpu0) * 1e6 / total
    print(f"{name} {total} {wall:.2f} {total / wall:.0f} {cpu:.1f}", flush=True)


api = docker.APIClient(base_url="unix:///var/run/docker.sock", version="auto", max_pool_size=concurrency)
measure("python_inspect_1conn", 1, lambda: api.inspect_container(container))
measure("python_list_1conn", 1, lambda: api.containers(all=True, filters=filters))
measure(f"python_inspect_{concurrency}conn", concurrency, lambda: api.inspect_container(container))
measure(f"python_list_{concurrency}conn", concurrency, lambda: api.containers(all=True, filters=filters))
