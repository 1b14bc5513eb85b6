"""Events per upstream request on aggregate traffic, and forwarding throughput.

Creates N aggregate buckets (closed windows, several sites) in a fresh SQLite
database, runs the forwarder against the local GA4 stand-in, and prints:

- events per upstream request (target ≥ 24: GA takes 25 at most);
- requests/s and events/s of the forwarder, claim → build → send → mark;
- the same events posted one per request over the same HTTP session
  (the baseline, measured in the same run), and the ratio.

    .venv/bin/python benchmarks/forward_batching.py [--buckets 5000] [--port 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway import create_app
from gateway.analytics.forwarding.fakega import FakeGA
from gateway.analytics.forwarding.forwarder import Forwarder, ForwardSettings
from gateway.analytics.models import AggregateCount
from gateway.db import make_engine
from gateway.dbcli import upgrade
from gateway.extensions import db
from gateway.sites import all_sites
from gateway.timeutil import utcnow

SITES = """\
[sites.hottelecom]
origins = ["https://hottelecom.example"]
ga_measurement_id = "G-BENCH00001"
ga_api_secret = "bench-secret-1"

[sites.shop]
origins = ["https://shop.hottelecom.example"]
ga_measurement_id = "G-BENCH00002"
ga_api_secret = "bench-secret-2"
"""

COUNTRIES = ["RU", "KZ", "BY", "DE", "AM", "(other)"]
DEVICES = ["desktop", "mobile", "tablet"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0, help="fake GA port (0: ephemeral)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeGA(port=args.port) as fake:
        folder = Path(tmp)
        (folder / "sites.toml").write_text(SITES, encoding="utf-8")
        url = f"sqlite:///{folder / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app(
            {
                "INSTANCE_PATH": str(folder),
                "SECRET_KEYS": ["bench-key-" + "x" * 32],
                "DATABASE_URL": url,
                "SITES_FILE": str(folder / "sites.toml"),
                "GA_ENDPOINT": fake.url,
                "AGGREGATE_MIN_COUNT": 5,
            }
        )
        with app.app_context():
            window = (utcnow() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
            rows = []
            for i in range(args.buckets):
                rows.append(
                    AggregateCount(
                        window_start=window - timedelta(hours=i % 3),
                        site=["hottelecom", "shop"][i % 2],
                        event_name=["page_view", "click"][(i // 2) % 2],
                        page_path=f"/section/{i // 36}/page/{i}",
                        country=COUNTRIES[i % len(COUNTRIES)],
                        device_category=DEVICES[i % len(DEVICES)],
                        count=5 + i % 50,
                    )
                )
            with db.transaction() as session:
                session.add_all(rows)
            settings = ForwardSettings.from_config(app.config)
            forwarder = Forwarder(db.engine, all_sites(), settings)

            started = time.perf_counter()
            closed = forwarder.close_due_windows()
            close_seconds = time.perf_counter() - started
            started = time.perf_counter()
            result = forwarder.drain()
            forward_seconds = time.perf_counter() - started
            forwarder.close()

        accepted = fake.accepted()
        events = sum(len(r["body"]["events"]) for r in accepted)
        assert result.pending_left == 0, "events left pending"
        assert events == closed.events, (events, closed.events)
        per_request = events / len(accepted)
        batched_rps = len(accepted) / forward_seconds
        batched_eps = events / forward_seconds

        # Baseline: the same bodies, one event per request, same session, same server.
        singles = []
        for request in accepted[:500]:
            body = request["body"]
            for event in body["events"]:
                singles.append((request["query"], {**body, "events": [event]}))
        singles = singles[:2000]
        http = requests.Session()
        started = time.perf_counter()
        for query, body in singles:
            http.post(
                f"{fake.url}/mp/collect",
                params=query,
                data=json.dumps(body, separators=(",", ":")),
                headers={"Content-Type": "application/json"},
                timeout=10,
            ).raise_for_status()
        baseline_seconds = time.perf_counter() - started
        http.close()
        baseline_eps = len(singles) / baseline_seconds

    print(f"aggregate buckets:             {args.buckets}")
    print(
        f"windows closed:                {closed.windows} "
        f"({closed.events} bucket events, {close_seconds * 1000:.0f} ms)"
    )
    print(f"upstream requests:             {len(accepted)}")
    print(f"events per upstream request:   {per_request:.2f}  (target ≥ 24)")
    print(f"forwarder requests/s:          {batched_rps:.0f}")
    print(f"forwarder events/s:            {batched_eps:.0f}")
    print(f"baseline (1 event/request):    {baseline_eps:.0f} events/s")
    print(f"events/s ratio vs baseline:    {batched_eps / baseline_eps:.1f}×")
    print("PASS" if per_request >= 24 else "FAIL: fewer than 24 events per request")


if __name__ == "__main__":
    main()
