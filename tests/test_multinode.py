"""Two gunicorn nodes and two forwarders on one PostgreSQL, driven at once.

Real processes only: `gateway db upgrade`, two gunicorns (two workers each),
`gateway fake-ga`, two `gateway forward` workers. Threads send tracker hits
(event mode with consent tokens, aggregate mode without) and consent
decisions to both nodes at once; then every accepted event must have reached
the fake GA exactly once and the proof of consent must hold together.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from gateway.db import make_engine
from tests.cluster_support import (
    HEADERS,
    Cluster,
    collect,
    consent_config,
    decide,
    delivered,
)
from tests.conftest import PG_URL, _empty_postgres

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="several nodes need PostgreSQL (set GATEWAY_TEST_DATABASE_URL)"
)

# Quick retries, small aggregate windows (closed by the workers during the run)
# and k = 1, so every aggregate count leaves and the sums can be checked.
CLUSTER_SETTINGS = {
    "GATEWAY_GA_TIMEOUT": "2",
    "GATEWAY_FORWARD_BACKOFF_BASE": "0.05",
    "GATEWAY_FORWARD_BACKOFF_MAX": "0.5",
    "GATEWAY_FORWARD_POLL_INTERVAL": "0.1",
    "GATEWAY_FORWARD_CLAIM_TTL": "30",
    "GATEWAY_FORWARD_ONCE_DEADLINE": "30",
    "GATEWAY_AGGREGATE_WINDOW": "2",
    "GATEWAY_AGGREGATE_MIN_COUNT": "1",
}


@pytest.fixture
def cluster(postgres_ready: str, tmp_path: Path) -> Iterator[Cluster]:
    _empty_postgres(postgres_ready)
    made = Cluster(tmp_path, postgres_ready, settings=CLUSTER_SETTINGS)
    upgraded = made.gateway("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    try:
        yield made
    finally:
        made.stop_all()
        # Shown by pytest when the test failed.
        print(made.logs())


def outbox_statuses(url: str) -> Counter[tuple[str, str]]:
    """Outbox rows per (mode, status): no pending, no dead letters once drained."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT mode, status, count(*) FROM outbox_events GROUP BY 1, 2")
            )
            return Counter({(mode, status): int(count) for mode, status, count in rows})
    finally:
        engine.dispose()


def chains(url: str) -> dict[str, list[str]]:
    """Each consent id's decisions, in chain order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT consent_id, kind FROM consent_records ORDER BY seq")
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {}
    for consent_id, kind in rows:
        found.setdefault(consent_id, []).append(kind)
    return found


def run_all(tasks: list[Callable[[], Any]], threads: int = 8) -> list[Any]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda task: task(), tasks))


def test_two_nodes_and_two_forwarders_deliver_once_and_keep_the_chain(cluster: Cluster) -> None:
    started = time.monotonic()
    ga = cluster.fake_ga()
    nodes = cluster.nodes("node-a", "node-b")
    workers = [cluster.forwarder("forward-1"), cluster.forwarder("forward-2")]
    up_seconds = time.monotonic() - started
    cfg = consent_config(nodes[0])
    assert consent_config(nodes[1])["text_hash"] == cfg["text_hash"]

    # Visitors who granted analytics, each created on either node.
    tracker_tokens: dict[str, str] = {}
    changing: dict[str, str] = {}
    first_kind: dict[str, str] = {}
    for i in range(14):
        made = decide(nodes[i % 2], cfg, analytics=True)
        assert made.status_code == 201, made.text
        target = tracker_tokens if i < 8 else changing
        target[made.json()["consent_id"]] = made.json()["token"]
        first_kind[made.json()["consent_id"]] = made.json()["decision"]

    rng = random.Random(8)
    tasks: list[Callable[[], Any]] = []
    event_marks: list[str] = []
    event_requests, aggregate_requests, changes_per_id, new_consents = 240, 200, 5, 20
    tokens = list(tracker_tokens.values())
    for i in range(event_requests):
        marks = [f"e{i}-a", f"e{i}-b"]
        event_marks += marks
        tasks.append(
            lambda i=i, marks=marks: (
                "event",
                collect(nodes[i % 2], f"/mn/e/{i % 10}", marks, tokens[i % len(tokens)]),
            )
        )
    for i in range(aggregate_requests):
        tasks.append(
            lambda i=i: ("aggregate", collect(nodes[(i + 1) % 2], f"/mn/a/{i % 5}", [f"a{i}"]))
        )
    for n, token in enumerate(changing.values()):
        for j in range(changes_per_id):
            tasks.append(
                lambda n=n, j=j, token=token: (
                    "change",
                    decide(nodes[(n + j) % 2], cfg, analytics=j % 2 == 1, token=token),
                )
            )
    for i in range(new_consents):
        tasks.append(lambda i=i: ("new", decide(nodes[i % 2], cfg, analytics=i % 3 == 0)))
    rng.shuffle(tasks)
    traffic_started = time.monotonic()
    results = run_all(tasks)
    traffic_seconds = time.monotonic() - traffic_started

    new_ids: dict[str, str] = {}
    for kind, response in results:
        if kind in ("event", "aggregate"):
            assert response.status_code == 202, response.text
            answer = response.json()
            assert answer["mode"] == kind, answer
            assert answer["accepted"] == (3 if kind == "event" else 2), answer
        else:
            assert response.status_code == 201, response.text
            decision = response.json()["decision"]
            if kind == "new":
                new_ids[response.json()["consent_id"]] = decision
            else:
                assert decision == "change"

    # Each changing consent is withdrawn on both nodes at the same moment: one
    # withdrawal is recorded, the other request sees it.
    barrier = threading.Barrier(2)

    def withdraw(node: str, consent_id: str, token: str) -> requests.Response:
        barrier.wait()
        return requests.delete(
            f"{node}/api/v1/consent/{consent_id}",
            headers={**HEADERS, "Authorization": f"Bearer {token}"},
            timeout=30,
        )

    for consent_id, token in changing.items():
        pair = run_all(
            [lambda node=node, c=consent_id, t=token: withdraw(node, c, t) for node in nodes], 2
        )
        for response in pair:
            assert response.status_code == 200, response.text
            assert response.json()["withdrawn"] is True

    withdrawn_at = time.monotonic() - started
    # The workers stop cleanly; a last --once --flush sends the windows still open.
    for worker in workers:
        assert worker.stop() == 0, worker.output()
        assert "SIGTERM: finishing the current request, then stopping" in worker.output()
    stopped_at = time.monotonic() - started
    drained = cluster.gateway("forward", "--once", "--flush")
    assert drained.returncode == 0, drained.stdout + drained.stderr

    got = delivered(ga)
    duplicates = {mark: n for mark, n in got.marks.items() if n > 1}
    lost = set(event_marks) - set(got.marks)
    assert duplicates == {}
    assert lost == set()
    assert set(got.marks) == set(event_marks)
    assert got.event_page_views == event_requests
    assert got.aggregate == {"page_view": aggregate_requests, "mn_hit": aggregate_requests}
    statuses = outbox_statuses(cluster.database_url)
    assert set(statuses) == {("event", "sent"), ("aggregate", "sent")}, statuses
    assert statuses["event", "sent"] == 3 * event_requests

    verified = cluster.gateway("consent", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    expected = {cid: [first_kind[cid]] for cid in tracker_tokens}
    expected |= {
        cid: [first_kind[cid]] + ["change"] * changes_per_id + ["withdrawal"] for cid in changing
    }
    expected |= {cid: [kind] for cid, kind in new_ids.items()}
    assert len(new_ids) == new_consents
    assert chains(cluster.database_url) == expected

    sent_by = {w.name: w.output().strip().splitlines()[-1] for w in workers}
    print(
        f"up in {up_seconds:.1f} s, withdrawn at {withdrawn_at:.1f}, stopped at {stopped_at:.1f}; "
        f"traffic: {len(tasks)} requests in {traffic_seconds:.1f} s; forwarders: {sent_by}; "
        f"flush: {drained.stdout.strip().splitlines()[-1]}; "
        f"total {time.monotonic() - started:.1f} s"
    )
