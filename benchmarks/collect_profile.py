"""Where a /api/v1/collect request's time goes, in process (no server, no network).

The requests are those of benchmarks/collect_throughput.py (two events, UTM
parameters, a Cyrillic title, a browser User-Agent, a new visitor address on
every request behind one trusted proxy, half with a real consent token), handed
to the app's WSGI callable in a loop. Each part of the path is timed by a
wrapper around the function that does it; "rest" is what the parts leave of the
whole (WSGI environ to answer: ProxyFix, the lean path, JSON, headers).

Printed: CPU µs per request (process time: other work on the machine counts
less than in wall time), whole and per part, of the best of several rounds.
With ``--cprofile N`` the top N functions by own time are printed as well.

Run: .venv/bin/python benchmarks/collect_profile.py [--requests 3000] [--database-url …]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.collect_throughput import PAGES, body
from benchmarks.serving import ORIGIN, UA, instance_env, migrate, visitor_address

VISITORS_WITH_CONSENT = 64


def environ(payload: bytes, address: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/v1/collect",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(payload)),
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": UA,
        "HTTP_ORIGIN": ORIGIN,
        "HTTP_X_FORWARDED_FOR": address,
        "wsgi.input": io.BytesIO(payload),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


class Timer:
    """Wraps functions so that their time (inclusive) adds up under a label."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)
        totals = self.totals
        totals.setdefault(label, 0.0)
        clock = time.process_time

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return original(*args, **kwargs)
            finally:
                totals[label] += clock() - start

        setattr(owner, name, timed)

    def reset(self) -> None:
        for label in self.totals:
            self.totals[label] = 0.0


def tokens_for(app: Any, count: int) -> list[str]:
    client = app.test_client()
    config = client.get("/api/v1/sites/hottelecom/consent-config?lang=ru").get_json()
    tokens = []
    for _ in range(count):
        answer = client.post(
            "/api/v1/consent",
            json={
                "site": "hottelecom",
                "choices": {"analytics": True},
                "policy_version": config["policy_version"],
                "language": "ru",
                "text_hash": config["text_hash"],
            },
            headers={"Origin": ORIGIN, "User-Agent": UA},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"consent POST answered {answer.status_code}")
        tokens.append(answer.get_json()["token"])
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--no-parts", action="store_true", help="time the whole only")
    parser.add_argument(
        "--checkout", default=None, help="the gateway package of another checkout (A/B runs)"
    )
    args = parser.parse_args()
    if args.checkout:
        sys.path.insert(0, str(Path(args.checkout).resolve()))
        args.no_parts = True

    work = Path(tempfile.mkdtemp(prefix="collect-profile-"))
    try:
        env = {**instance_env(work, args.database_url), "GATEWAY_TRUSTED_PROXIES": "1"}
        migrate(env)
        os.environ.update(env)
        from gateway import create_app

        app = create_app()
        if os.environ.get("PROFILE_GC_FREEZE"):
            import gc

            gc.freeze()
        tokens = tokens_for(app, VISITORS_WITH_CONSENT)
        bodies = [
            body(n % PAGES, tokens[n // 2 % len(tokens)] if n % 2 == 0 else None).encode()
            for n in range(2 * VISITORS_WITH_CONSENT)
        ]
        timer = Timer()
        if not args.no_parts:
            from gateway.analytics.intake import pipeline, store, views
            from gateway.analytics.intake.lean import LeanIntake

            timer.wrap(views, "_consent_identity", "consent (token + standing read)")
            from gateway.consent import services

            timer.wrap(services.StandingQuery, "run", "  of which standing read")
            timer.wrap(views, "device_facts", "device facts (User-Agent)")
            timer.wrap(views, "request_drop_reason", "drop reason (prefetch, ASN)")
            timer.wrap(views, "client_location", "location (GeoIP)")
            import geoip2.database

            timer.wrap(geoip2.database.Reader, "city", "  of which geoip2 Reader.city")
            timer.wrap(pipeline, "process", "pipeline.process (anonymizer…)")
            timer.wrap(pipeline, "parse_collect_payload", "payload parse")
            timer.wrap(pipeline, "decode_json", "JSON decode")
            timer.wrap(store.CollectWriter, "write", "store write")
            timer.wrap(LeanIntake, "check_limits", "rate limits")
        app_callable = app.wsgi_app
        import gc

        gc_time = {"start": 0.0, "total": 0.0, "gen2": 0}

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                gc_time["start"] = time.process_time()
            else:
                gc_time["total"] += time.process_time() - gc_time["start"]
                gc_time["gen2"] += info["generation"] == 2

        gc.callbacks.append(on_gc)

        def one_round(count: int, offset: int) -> float:
            statuses: list[str] = []

            def start_response(status: str, headers: list[tuple[str, str]]) -> None:
                statuses.append(status)

            envs = [
                environ(bodies[(offset + n) % len(bodies)], visitor_address(offset + n))
                for n in range(count)
            ]
            timer.reset()
            gc_time.update(total=0.0, gen2=0)
            start = time.process_time()
            for e in envs:
                for _chunk in app_callable(e, start_response):
                    pass
            elapsed = time.process_time() - start
            bad = [s for s in statuses if not s.startswith("202")]
            if bad:
                raise RuntimeError(f"unexpected answers: {bad[:3]}")
            return elapsed

        one_round(300, 0)  # warm-up: caches, connections
        best: tuple[float, dict[str, float]] | None = None
        for r in range(args.rounds):
            elapsed = one_round(args.requests, (r + 1) * args.requests)
            if best is None or elapsed < best[0]:
                collected = {"  of which garbage collection (all parts)": gc_time["total"]}
                best = (elapsed, {**timer.totals, **collected})
        assert best is not None
        elapsed, parts = best
        per = 1e6 / args.requests
        database = "PostgreSQL" if args.database_url else "SQLite (WAL)"
        print(f"{args.requests} requests x {args.rounds} rounds in process, {database}; best round")
        print(f"{'whole request':40s} {elapsed * per:7.1f} µs")
        accounted = 0.0
        for label, seconds in parts.items():
            print(f"{label:40s} {seconds * per:7.1f} µs")
            if not label.startswith(" "):
                accounted += seconds
        if parts:
            rest = (elapsed - accounted) * per
            print(f"{'rest (WSGI, ProxyFix, lean path, reply)':40s} {rest:7.1f} µs")
        if args.cprofile:
            profile = cProfile.Profile()
            profile.enable()
            one_round(args.requests, 0)
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(args.cprofile)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
