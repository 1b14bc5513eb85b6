"""/api/v1/collect throughput against a bare Flask handler, measured as real traffic looks.

Both apps run under gunicorn with the project's gunicorn.conf.py, its worker
class replaced by 2 sync workers of one thread each (-k sync --threads 1: with
the configuration's 8 threads gunicorn would silently run its threaded worker
instead), on loopback ports, and wrk (-t2 -c32) posts what pages send:

- two events per request (a page view and an event with parameters), a page
  URL with UTM parameters and a Cyrillic title, on one of 64 pages;
- a browser User-Agent;
- a different X-Forwarded-For on every request, behind one trusted proxy
  (GATEWAY_TRUSTED_PROXIES=1), each a public address the GeoIP database
  built here locates, so every request is a new visitor to the lookup;
- half of the requests with the token of a real consent (one of 256 visitors
  whose decision was POSTed as the banner does), half without one; one
  request of each kind is checked first to be answered in the mode it should.

Rate limits are off; the gateway writes to SQLite (WAL, synchronous=NORMAL), or
to PostgreSQL with ``--database-url``. The baseline is a bare Flask handler that
parses the JSON body and answers 202 (benchmarks/bare_app.py). Rounds of the two
are interleaved, so a busy moment of the machine hits both alike.

Printed: requests/s of each and the ratio (target >= 0.7), latency p50/p99
(from wrk), and the server processes' CPU time per request (from /proc), whose
ratio is what the throughput ratio converges to on an otherwise idle machine.

``--worker configured`` serves both apps with gunicorn.conf.py's own threaded
worker (2 workers of 8 threads, keep-alive), what a node runs.

Run: .venv/bin/python benchmarks/collect_throughput.py [--database-url postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.serving import (
    ORIGIN,
    UA,
    consent_token,
    http,
    instance_env,
    migrate,
    serve,
    server_cpu_seconds,
    stop,
    visitor_address,
    worker_pids,
)

TARGET = 0.7
PAGES = 64
VISITORS_WITH_CONSENT = 256
SECTIONS = (
    ("tariffs/internet", "Домашний интернет"),
    ("tariffs/mobile", "Мобильная связь"),
    ("tv", "Телевидение"),
    ("support/faq", "Вопросы и ответы"),
)


def body(page: int, consent: str | None) -> str:
    path, title = SECTIONS[page % len(SECTIONS)]
    payload: dict[str, object] = {
        "site": "hottelecom",
        "page": {
            "url": f"https://hottelecom.example/{path}/{page}"
            f"?utm_source=yandex&utm_medium=cpc&utm_campaign=winter{page % 7}",
            "referrer": "https://yandex.ru/search/?text=hottelecom",
            "title": f"{title} — тариф {page} — HotTelecom",
        },
        "events": [
            {"name": "page_view"},
            {"name": "select_tariff", "params": {"tariff": f"home-{page}00", "value": 650}},
        ],
    }
    if consent:
        payload["consent"] = consent
    return json.dumps(payload, ensure_ascii=False)


def lua_script(path: Path, bodies: list[str]) -> None:
    """wrk's request(): the next body, and a new visitor address, on every request."""

    def quoted(text: str) -> str:
        return f"[==[{text}]==]"  # a long-bracket string: raw UTF-8, no escapes

    path.write_text(
        "local bodies = {\n"
        + ",\n".join(quoted(b) for b in bodies)
        + "\n}\n"
        + f'local headers = {{["Content-Type"] = "application/json", ["User-Agent"] = "{UA}", '
        f'["Origin"] = "{ORIGIN}"}}\n'
        + "local n = 0\n"
        # Each wrk thread has its own Lua state: start them far apart.
        + "function setup(thread) thread:set('offset', math.random(0, 60000)) end\n"
        + "function init(args) n = offset or 0 end\n"
        + "function request()\n"
        + "  n = n + 1\n"
        # 81.200.0.0/16, the network the benchmark's GeoIP database places in Russia
        + "  local third = math.floor(n / 254) % 256\n"
        + '  headers["X-Forwarded-For"] = "81.200." .. third .. "." .. (n % 254 + 1)\n'
        + "  return wrk.format('POST', '/api/v1/collect', headers, bodies[n % #bodies + 1])\n"
        + "end\n",
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Run:
    rate: float
    cpu_us: float  # server CPU per request
    p50_ms: float
    p99_ms: float


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, script: Path, seconds: int, connections: int) -> tuple[float, int, float, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/api/v1/collect",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", out)
    if not (rate and total and p50 and p99):
        raise RuntimeError(out)
    return (
        float(rate.group(1)),
        int(total.group(1)),
        _ms(p50.group(1), p50.group(2)),
        _ms(p99.group(1), p99.group(2)),
    )


def measure(
    server: subprocess.Popen[bytes], port: int, script: Path, seconds: int, connections: int
) -> Run:
    before = server_cpu_seconds(server)
    rate, requests, p50, p99 = wrk(port, script, seconds, connections)
    cpu = server_cpu_seconds(server) - before
    return Run(rate, cpu / max(requests, 1) * 1e6, p50, p99)


def check_mode(port: int, payload: str, expected: str) -> None:
    """One request first: the run measures the modes it says it measures."""
    headers = {"Origin": ORIGIN, "X-Forwarded-For": visitor_address(1)}
    status, _, raw = http(port, "POST", "/api/v1/collect", json.loads(payload), headers)
    answer = json.loads(raw)
    if status != 202 or answer["mode"] != expected or answer["accepted"] != 2:
        raise RuntimeError(f"expected two {expected}-mode events accepted, got {status} {answer}")


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.rate for r in runs),
        statistics.median(r.cpu_us for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
    )


def worker_rss_mib(server: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory of each gunicorn worker, MiB (VmRSS from /proc)."""
    sizes = []
    for pid in worker_pids(server):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            sizes.append(int(found.group(1)) / 1024)
    return sizes


def soak(
    server: subprocess.Popen[bytes], port: int, script: Path, args: argparse.Namespace
) -> None:
    """The gateway alone under the benchmark's load for ``--soak`` seconds, in
    30-second stretches; the workers' RSS after the warm-up, after each stretch and
    at the end. Memory is flat when the end is where the start was."""
    start = worker_rss_mib(server)
    print(
        f"soak: {args.soak}s at -c{args.connections}; worker RSS at start: "
        + ", ".join(f"{mib:.1f}" for mib in start)
        + " MiB"
    )
    left = args.soak
    served = 0
    while left > 0:
        stretch = min(30, left)
        rate, requests, _p50, p99 = wrk(port, script, stretch, args.connections)
        served += requests
        left -= stretch
        print(
            f"  {args.soak - left:4d}s: {rate:6.0f} req/s, p99 {p99:6.2f} ms, worker RSS "
            + ", ".join(f"{mib:.1f}" for mib in worker_rss_mib(server))
            + " MiB",
            flush=True,
        )
    end = worker_rss_mib(server)
    growth = max(e - s for s, e in zip(start, end, strict=False)) if start and end else 0.0
    print(
        f"soak: {served} requests; worker RSS at end: "
        + ", ".join(f"{mib:.1f}" for mib in end)
        + f" MiB (largest growth {growth:+.1f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--worker",
        choices=("sync", "configured"),
        default="sync",
        help="sync workers of one thread (the issue's measure), or gunicorn.conf.py's own "
        "threaded worker (what a node runs)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="the gateway's database (default: $BENCH_DATABASE_URL, else SQLite in WAL)",
    )
    parser.add_argument(
        "--compare",
        metavar="CHECKOUT",
        default=None,
        help="also serve the gateway of another checkout (e.g. main), in the same rounds",
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        metavar="SECONDS",
        help="instead of the rounds: the gateway alone this long; its workers' RSS, start and end",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="collect-bench-"))
    try:
        env = {**instance_env(work, args.database_url), "GATEWAY_TRUSTED_PROXIES": "1"}
        migrate(env)
        database = "PostgreSQL" if args.database_url else "SQLite (WAL)"
        # gunicorn's worker class for serve() (None: the configuration's own) and its label.
        worker, kind = (
            ("sync", "sync")
            if args.worker == "sync"
            else (None, "gunicorn.conf.py's threaded worker")
        )
        print(
            f"gunicorn -w {args.workers} ({kind}), wrk -t2 -c{args.connections}, {database}, "
            f"{args.rounds} interleaved rounds of {args.seconds}s, medians; two events per "
            "request, a new visitor address on every request, half with a consent token"
        )
        servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        try:
            # Started one by one inside the try: a checkout that fails to start
            # leaves no server of the others behind.
            servers["bare"] = (
                serve("benchmarks.bare_app:app", args.port, env, args.workers, worker),
                args.port,
            )
            gateway = serve("wsgi:app", args.port + 1, env, args.workers, worker)
            servers["gateway"] = (gateway, args.port + 1)
            if args.compare:
                other = serve(
                    "wsgi:app", args.port + 2, env, args.workers, worker, cwd=Path(args.compare)
                )
                servers["compared"] = (other, args.port + 2)
            runs: dict[str, list[Run]] = {name: [] for name in servers}
            tokens = [consent_token(args.port + 1) for _ in range(VISITORS_WITH_CONSENT)]
            bodies = []
            for n in range(2 * VISITORS_WITH_CONSENT):
                token = tokens[n // 2] if n % 2 == 0 else None
                bodies.append(body(n % PAGES, token))
            for name, (_server, port) in servers.items():
                if name != "bare":
                    check_mode(port, bodies[0], "event")
                    check_mode(port, bodies[1], "aggregate")
            script = work / "traffic.lua"
            lua_script(script, bodies)
            for _server, port in servers.values():
                # Warm-up: workers still loading when the port opened may time out here.
                with contextlib.suppress(RuntimeError):
                    wrk(port, script, 3, args.connections)
            if args.soak:
                soak(gateway, args.port + 1, script, args)
                return
            for _ in range(args.rounds):
                for name, (server, port) in servers.items():
                    runs[name].append(measure(server, port, script, args.seconds, args.connections))
        finally:
            for server, _port in servers.values():
                stop(server)
        base = median_run(runs["bare"])
        labels = {
            "bare": "bare Flask handler (parses JSON, 202)",
            "gateway": "gateway",
            "compared": f"gateway of {args.compare}",
        }
        for name in servers:
            run = median_run(runs[name])
            print(
                f"{labels[name]:38s} {run.rate:8.0f} req/s, p50 {run.p50_ms:6.2f} ms, "
                f"p99 {run.p99_ms:6.2f} ms, {run.cpu_us:5.0f} µs server CPU per request"
            )
        for name in servers:
            if name == "bare":
                continue
            full = median_run(runs[name])
            ratio = full.rate / base.rate
            verdict = "met" if ratio >= TARGET else "BELOW TARGET"
            print(
                f"{labels[name]}: ratio {ratio:.2f}x the bare handler (target >= {TARGET}: "
                f"{verdict}); CPU-bound estimate {base.cpu_us / full.cpu_us:.2f}x; rounds: "
                + ", ".join(
                    f"{g.rate / b.rate:.2f}" for b, g in zip(runs["bare"], runs[name], strict=True)
                )
            )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
