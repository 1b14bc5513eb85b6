"""What rate-limit storage costs per /api/v1/collect request: the SQLite file against memory://.

Two gateways run side by side under gunicorn with the project's gunicorn.conf.py
(its threaded workers, two of them), limits ON, on the same database: one counts
in the default per-node SQLite file (sqlite:///…/ratelimits.db), the other in
each worker's memory (memory://, which lets every worker keep its own budget).
One client per server posts what a page sends (two events, no consent token)
over a kept-alive connection, each request from a new visitor address behind
one trusted proxy, so no request is refused and every request writes a counter.
Rounds alternate between the two, so a busy moment of the machine hits both.

Printed per storage: wall-clock µs per request (median of the rounds) and the
server processes' CPU µs per request (from /proc); then the differences, which
are what the SQLite storage adds to a request.

Run: .venv/bin/python benchmarks/ratelimit_storage.py [--requests 1500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.collect_throughput import body
from benchmarks.serving import (
    ORIGIN,
    UA,
    instance_env,
    migrate,
    serve,
    server_cpu_seconds,
    stop,
    visitor_address,
)


def one_round(port: int, count: int, offset: int) -> float:
    """``count`` posts on one kept-alive connection; seconds taken."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    bodies = [body(n, None).encode("utf-8") for n in range(64)]
    started = time.perf_counter()
    for n in range(count):
        connection.request(
            "POST",
            "/api/v1/collect",
            body=bodies[n % len(bodies)],
            headers={
                "Content-Type": "application/json",
                "User-Agent": UA,
                "Origin": ORIGIN,
                "X-Forwarded-For": visitor_address(offset + n),
            },
        )
        answer = connection.getresponse()
        answer.read()
        if answer.status != 202:
            raise RuntimeError(f"collect answered {answer.status} on port {port}")
        if answer.getheader("X-RateLimit-Limit") is None:
            raise RuntimeError(f"no limit was counted on port {port}")
    taken = time.perf_counter() - started
    connection.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=18431)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ratelimit-bench-"))
    try:
        base = {
            **instance_env(work),
            "GATEWAY_TRUSTED_PROXIES": "1",
            "GATEWAY_RATELIMIT_ENABLED": "true",
        }
        migrate(base)
        storages = {
            "sqlite file": f"sqlite:///{work / 'ratelimits.db'}",
            "memory://": "memory://",
        }
        servers = {}
        for index, (name, url) in enumerate(storages.items()):
            env = {**base, "GATEWAY_RATELIMIT_STORAGE_URL": url}
            servers[name] = (args.port + index, serve("wsgi:app", args.port + index, env, 2))
        print(
            f"gunicorn.conf.py (2 threaded workers), limits on, SQLite database; "
            f"{args.rounds} alternating rounds of {args.requests} sequential requests each"
        )
        wall: dict[str, list[float]] = {name: [] for name in servers}
        cpu: dict[str, float] = dict.fromkeys(servers, 0.0)
        try:
            for port, _proc in servers.values():
                one_round(port, 100, 60_000)  # warm-up: imports, connections, GeoIP
            offset = 0
            for _ in range(args.rounds):
                for name, (port, proc) in servers.items():
                    before = server_cpu_seconds(proc)
                    taken = one_round(port, args.requests, offset)
                    cpu[name] += server_cpu_seconds(proc) - before
                    wall[name].append(taken / args.requests * 1e6)
                offset += args.requests
        finally:
            for _port, proc in servers.values():
                stop(proc)
        total = args.rounds * args.requests
        for name in servers:
            print(
                f"{name:<12} wall {statistics.median(wall[name]):7.0f} µs/request, "
                f"server CPU {cpu[name] / total * 1e6:7.0f} µs/request"
            )
        extra_wall = statistics.median(wall["sqlite file"]) - statistics.median(wall["memory://"])
        extra_cpu = (cpu["sqlite file"] - cpu["memory://"]) / total * 1e6
        print(f"SQLite storage adds {extra_wall:.0f} µs wall, {extra_cpu:.0f} µs CPU per request")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
