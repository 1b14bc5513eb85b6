"""/api/v1/collect throughput against a bare Flask 202 handler, same gunicorn settings.

Both apps run under gunicorn with the project's gunicorn.conf.py (2 sync
workers) on loopback ports 18100-18199, and wrk (-t2 -c32) posts one JSON
event per request, as nginx would pass it on: X-Forwarded-For names a public
visitor address (GATEWAY_TRUSTED_PROXIES=1). The gateway runs the whole
pipeline: bot check, consent check (event mode: a token from a real consent
POST, checked against its record), anonymizer, GeoIP lookup (a small
database built here), and its write to SQLite (WAL, synchronous=NORMAL).
One request per mode is checked first to be answered in that mode.
Printed: requests/s of each and the ratio (target >= 0.6), plus the server
processes' CPU time per request (from /proc), whose ratio is what the
throughput ratio converges to on an otherwise idle machine.
Run: .venv/bin/python benchmarks/collect_throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.serving import (
    ORIGIN,
    UA,
    VISITOR_IP,
    consent_token,
    http,
    instance_env,
    migrate,
    serve,
    server_cpu_seconds,
    stop,
)

# As behind the production nginx: one trusted hop that names the visitor.
VISITOR_HEADERS = {"Origin": ORIGIN, "X-Forwarded-For": VISITOR_IP}


def body(consent: str | None) -> str:
    payload: dict[str, object] = {
        "site": "hottelecom",
        "page": {
            "url": "https://hottelecom.example/tariffs/internet?utm_source=yandex&gclid=abc123",
            "referrer": "https://yandex.ru/search/?text=hottelecom",
            "title": "Домашний интернет — HotTelecom",
        },
        "events": [{"name": "page_view", "params": {"tariff": "home-500"}}],
    }
    if consent:
        payload["consent"] = consent
    return json.dumps(payload, ensure_ascii=False)


def lua_script(path: Path, payload: str) -> None:
    path.write_text(
        'wrk.method = "POST"\n'
        # A long-bracket string: raw UTF-8, no Lua escapes needed.
        f"wrk.body = [==[{payload}]==]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["User-Agent"] = "{UA}"\n'
        + "".join(
            f'wrk.headers["{name}"] = "{value}"\n' for name, value in VISITOR_HEADERS.items()
        ),
        encoding="utf-8",
    )


def measure(
    server: subprocess.Popen[bytes], port: int, script: Path, seconds: int, connections: int
) -> tuple[float, float]:
    """Requests per second, and server CPU microseconds per request, of one wrk run."""
    before = server_cpu_seconds(server)
    rate, requests = wrk(port, script, seconds, connections)
    cpu = server_cpu_seconds(server) - before
    return rate, cpu / max(requests, 1) * 1e6


def wrk(port: int, script: Path, seconds: int, connections: int) -> tuple[float, int]:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/api/v1/collect",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors during the run:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    if not match or not total:
        raise RuntimeError(out)
    return float(match.group(1)), int(total.group(1))


def check_mode(port: int, payload: str, expected: str) -> None:
    """One request first: the run measures the mode it says it measures."""
    status, _, raw = http(port, "POST", "/api/v1/collect", json.loads(payload), VISITOR_HEADERS)
    answer = json.loads(raw)
    if status != 202 or answer["mode"] != expected or answer["accepted"] != 1:
        raise RuntimeError(f"expected one {expected}-mode event accepted, got {status} {answer}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="collect-bench-"))
    try:
        env = {**instance_env(work), "GATEWAY_TRUSTED_PROXIES": "1"}
        migrate(env)
        scripts = {
            "aggregate": work / "aggregate.lua",
            "event": work / "event.lua",
        }

        print(
            f"gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections}, "
            f"{args.rounds} interleaved rounds of {args.seconds}s, medians"
        )
        bare = serve("benchmarks.bare_app:app", args.port, env, args.workers)
        gateway = serve("wsgi:app", args.port + 1, env, args.workers)
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "aggregate": [], "event": []}
        try:
            payloads = {"aggregate": body(None), "event": body(consent_token(args.port + 1))}
            for mode, script in scripts.items():
                lua_script(script, payloads[mode])
                check_mode(args.port + 1, payloads[mode], mode)
            wrk(args.port, scripts["aggregate"], 2, args.connections)  # warm-up
            wrk(args.port + 1, scripts["aggregate"], 2, args.connections)
            # Interleaved, so a busy moment of the machine hits both sides alike.
            for _ in range(args.rounds):
                runs["bare"].append(
                    measure(bare, args.port, scripts["aggregate"], args.seconds, args.connections)
                )
                for mode, script in scripts.items():
                    runs[mode].append(
                        measure(gateway, args.port + 1, script, args.seconds, args.connections)
                    )
        finally:
            stop(bare)
            stop(gateway)
        base_rate = statistics.median(r for r, _ in runs["bare"])
        base_cpu = statistics.median(c for _, c in runs["bare"])
        print(
            f"bare Flask 202 handler:            {base_rate:8.0f} req/s, "
            f"{base_cpu:6.0f} µs server CPU per request"
        )
        for mode in scripts:
            rate = statistics.median(r for r, _ in runs[mode])
            cpu = statistics.median(c for _, c in runs[mode])
            ratio = rate / base_rate
            verdict = "ok" if ratio >= 0.6 else "BELOW TARGET"
            print(
                f"gateway /collect, {mode + ' mode:':16s} {rate:8.0f} req/s, "
                f"{cpu:6.0f} µs server CPU per request; throughput {ratio:.2f}x bare "
                f"(target >= 0.60: {verdict}); CPU-bound estimate {base_cpu / cpu:.2f}x"
            )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
