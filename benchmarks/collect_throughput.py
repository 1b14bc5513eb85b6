"""/api/v1/collect throughput against a bare Flask 202 handler, same gunicorn settings.

Both apps run under gunicorn with the project's gunicorn.conf.py (2 sync
workers) on loopback ports 18100-18199, and wrk (-t2 -c32) posts one JSON
event per request. The gateway runs the whole pipeline: bot check, consent
check, anonymizer, GeoIP (a small database built here), and its write to
SQLite (WAL, synchronous=NORMAL). Printed: requests/s of each and the ratio
(target >= 0.6), plus the server processes' CPU time per request (from
/proc), whose ratio is what the throughput ratio converges to on an
otherwise idle machine. Run: .venv/bin/python benchmarks/collect_throughput.py
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
    SECRET,
    UA,
    instance_env,
    migrate,
    serve,
    server_cpu_seconds,
    stop,
)


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
        'wrk.headers["Origin"] = "https://hottelecom.example"\n',
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


def issue_consent(env: dict[str, str]) -> str:
    from gateway import create_app
    from gateway.consent.tokens import ConsentClaims, issue_token

    app = create_app({"SECRET_KEYS": [SECRET], "SITES_FILE": env["GATEWAY_SITES_FILE"]})
    with app.app_context():
        return issue_token(ConsentClaims("bench-consent", "hottelecom", {"analytics": True}, 1))


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
        env = instance_env(work)
        migrate(env)
        consent = issue_consent(env)
        scripts = {
            "aggregate": work / "aggregate.lua",
            "event": work / "event.lua",
        }
        lua_script(scripts["aggregate"], body(None))
        lua_script(scripts["event"], body(consent))

        print(
            f"gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections}, "
            f"{args.rounds} interleaved rounds of {args.seconds}s, medians"
        )
        bare = serve("benchmarks.bare_app:app", args.port, env, args.workers)
        gateway = serve("wsgi:app", args.port + 1, env, args.workers)
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "aggregate": [], "event": []}
        try:
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
