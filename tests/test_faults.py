"""Faults: the database down or locked, Google Analytics failing under load.

(The mail server being down is in tests/test_mail.py.)
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway import create_app
from gateway.db import make_engine
from gateway.dbcli import run_after_upgrade_hooks
from tests.cluster_support import HEADERS, Cluster, collect, delivered, inject, wait_until
from tests.conftest import PG_URL, AppFactory, LiveServer, _base_config, _empty_postgres
from tests.consent_helpers import recorded_token

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="needs PostgreSQL (set GATEWAY_TEST_DATABASE_URL)"
)

COUNTED_TABLES = ("outbox_events", "aggregate_counts", "collect_stats", "consent_records")

# Processes of the tests below: quick retries, small aggregate windows and k = 1, so
# every count leaves and sums can be checked.
GA_SETTINGS = {
    "GATEWAY_GA_TIMEOUT": "1",
    "GATEWAY_FORWARD_BACKOFF_BASE": "0.1",
    "GATEWAY_FORWARD_BACKOFF_MAX": "1",
    "GATEWAY_FORWARD_POLL_INTERVAL": "0.1",
    "GATEWAY_FORWARD_CLAIM_TTL": "30",
    "GATEWAY_FORWARD_ONCE_DEADLINE": "30",
    "GATEWAY_AGGREGATE_WINDOW": "2",
    "GATEWAY_AGGREGATE_MIN_COUNT": "1",
}


def body(**extra: Any) -> dict[str, Any]:
    return {
        "site": "hottelecom",
        "page": {"url": "https://hottelecom.example/faults", "title": "faults"},
        "events": [{"name": "page_view"}],
        **extra,
    }


def table_rows(url: str) -> dict[str, Any]:
    """Every row of the tables a collect or a consent writes, read past the gateway."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: sorted(map(tuple, conn.execute(sa.text(f"SELECT * FROM {table}"))))
                for table in COUNTED_TABLES
            }
    finally:
        engine.dispose()


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "unavailable"


# ---------------------------------------------------------------- a cuttable TCP proxy


class Proxy:
    """Forwards 127.0.0.1:port to PostgreSQL; ``cut()`` drops every connection and
    refuses new ones (accepted, then closed at once) until ``restore()``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


@pytest.fixture
def pg_url(postgres_ready: str) -> str:
    _empty_postgres(postgres_ready)
    return postgres_ready


@pytest.fixture
def proxied_app(pg_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Proxy]]:
    url = sa.make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app({**_base_config(proxied, tmp_path / "instance"), "DATABASE_TIMEOUT": 1})
    with app.app_context():
        run_after_upgrade_hooks()
    yield app, proxy
    app.extensions["gateway.db"].dispose()
    proxy.close()


# ---------------------------------------------------------------- database down


@needs_postgres
def test_database_down_answers_503_writes_nothing_and_recovers(
    proxied_app: tuple[Flask, Proxy], pg_url: str
) -> None:
    app, proxy = proxied_app
    server = LiveServer(app).start()
    try:
        base = server.url
        known = recorded_token(app, consent_id="known")
        fresh = recorded_token(app, consent_id="fresh")
        collect_url = f"{base}/api/v1/collect"
        ok = requests.post(collect_url, json=body(consent=known), headers=HEADERS, timeout=10)
        assert ok.status_code == 202
        assert ok.json()["mode"] == "event"
        assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
        before = table_rows(pg_url)

        proxy.cut()
        started = time.monotonic()
        # A token verified a moment ago (cached): the write itself fails.
        assert_unavailable(
            requests.post(collect_url, json=body(consent=known), headers=HEADERS, timeout=10)
        )
        # A token seen for the first time: checking its proof of consent fails.
        assert_unavailable(
            requests.post(collect_url, json=body(consent=fresh), headers=HEADERS, timeout=10)
        )
        # No consent: aggregate counts.
        assert_unavailable(requests.post(collect_url, json=body(), headers=HEADERS, timeout=10))
        config = requests.get(f"{base}/api/v1/sites/hottelecom/consent-config?lang=en", timeout=10)
        assert_unavailable(config)
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json() == {
            "status": "unavailable",
            "reason": "database unreachable: OperationalError",
        }
        assert time.monotonic() - started < 10
        assert table_rows(pg_url) == before

        proxy.restore()
        # The same process, without a restart: the pool reconnects.
        again = requests.post(collect_url, json=body(consent=fresh), headers=HEADERS, timeout=10)
        assert again.status_code == 202, again.text
        assert again.json()["mode"] == "event"
        assert (
            requests.post(collect_url, json=body(), headers=HEADERS, timeout=10).status_code == 202
        )
        assert requests.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}
        after = table_rows(pg_url)
        assert len(after["outbox_events"]) == len(before["outbox_events"]) + 1
        assert len(after["aggregate_counts"]) == len(before["aggregate_counts"]) + 1
    finally:
        server.stop()


@needs_postgres
def test_forwarder_rides_out_a_database_outage(pg_url: str, tmp_path: Path) -> None:
    """`gateway forward` does not exit when the database goes away; it carries on
    where it stopped once the database is back, sending nothing twice."""
    from tests.test_forwarder import add_events, statuses

    url = sa.make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(_base_config(pg_url, tmp_path / "instance"))
    with app.app_context():
        run_after_upgrade_hooks()
    cluster = Cluster(tmp_path, proxied, settings=GA_SETTINGS)
    try:
        ga = cluster.fake_ga()
        worker = cluster.forwarder("forward")
        add_events(app, 5)
        wait_until(lambda: delivered(ga).n == set(range(5)), 20, "the first events")
        # GA answers before the worker records the batch as sent; cutting in between
        # is the other test's case (below), so wait for the record first.
        wait_until(lambda: statuses(app) == {"sent": 5}, 20, "the first events marked sent")
        proxy.cut()
        add_events(app, 5, start=5)
        wait_until(
            lambda: "database error in the forwarder" in worker.output(),
            20,
            "the outage to be seen",
        )
        assert worker.popen.poll() is None
        assert delivered(ga).n == set(range(5))
        proxy.restore()
        wait_until(lambda: delivered(ga).n == set(range(10)), 30, "the rest after the outage")
        assert worker.stop() == 0, worker.output()
        assert sum(delivered(ga).numbers.values()) == 10
    finally:
        cluster.stop_all()
        print(cluster.logs())
        app.extensions["gateway.db"].dispose()
        proxy.close()


@needs_postgres
def test_database_lost_while_ga_answers_the_events_are_still_marked_once(
    pg_url: str, tmp_path: Path
) -> None:
    """GA accepts a batch while the database is away: the worker keeps trying to mark
    it sent instead of letting the claim expire and the batch go out a second time."""
    from gateway.analytics.forwarding.fakega import FakeGA
    from tests.test_forwarder import add_events, forwarder, statuses

    url = sa.make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    with FakeGA() as ga:
        config = _base_config(proxied, tmp_path / "instance")
        app = create_app({**config, "GA_ENDPOINT": ga.url, "GA_TIMEOUT": 5, "DATABASE_TIMEOUT": 2})
        with app.app_context():
            run_after_upgrade_hooks()
        try:
            add_events(app, 6)
            worker = forwarder(app)
            ga.hang(1.5, status=204)  # a slow success: the database goes while GA works
            result: list[Any] = []
            thread = threading.Thread(target=lambda: result.append(worker.forward_batch()))
            thread.start()
            wait_until(lambda: len(ga.recorded) == 1, 10, "the request to reach GA")
            proxy.cut()
            time.sleep(2.5)  # GA has answered; marking fails meanwhile
            assert thread.is_alive()
            proxy.restore()
            thread.join(20)
            assert not thread.is_alive()
            [totals] = result
            assert totals.sent == 6
            assert statuses(app) == {"sent": 6}
            # Nothing is left to send again, even once the claim would have expired.
            assert worker.forward_batch().claimed == 0
            assert len(ga.accepted()) == 1
            worker.close()
        finally:
            app.extensions["gateway.db"].dispose()
            proxy.close()


# ---------------------------------------------------------------- database locked


def _hold_lock(
    database_url: str, tables: str = "outbox_events, aggregate_counts, collect_stats"
) -> Callable[[], None]:
    """Another session takes the tables /collect writes (on PostgreSQL: ``tables``,
    on SQLite the whole file); returns what releases them."""
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(sa.make_url(database_url).database or "", timeout=1)
        connection.isolation_level = None
        connection.execute("BEGIN EXCLUSIVE")

        def release_sqlite() -> None:
            connection.execute("ROLLBACK")
            connection.close()

        return release_sqlite
    engine = make_engine(database_url)
    conn = engine.connect()
    conn.execute(sa.text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))

    def release_postgres() -> None:
        conn.rollback()
        conn.close()
        engine.dispose()

    return release_postgres


def _client_after_one_beacon(app_factory: AppFactory, consent_id: str) -> tuple[FlaskClient, str]:
    """A gateway with a 0.5 s database timeout that has stored one event-mode
    beacon; its client and the consent token."""
    app = app_factory(DATABASE_TIMEOUT=0.5)
    client = app.test_client()
    consent = recorded_token(app, consent_id=consent_id)
    assert (
        client.post("/api/v1/collect", json=body(consent=consent), headers=HEADERS).status_code
        == 202
    )
    return client, consent


def _assert_both_modes_stored(client: FlaskClient, consent: str) -> None:
    for payload in (body(consent=consent), body()):
        assert client.post("/api/v1/collect", json=payload, headers=HEADERS).status_code == 202


def test_locked_tables_answer_503_within_the_timeout_and_recover(
    app_factory: AppFactory, database_url: str
) -> None:
    client, consent = _client_after_one_beacon(app_factory, "locked")
    before = table_rows(database_url)
    release = _hold_lock(database_url)
    try:
        for payload in (body(consent=consent), body()):
            started = time.monotonic()
            response = client.post("/api/v1/collect", json=payload, headers=HEADERS)
            waited = time.monotonic() - started
            assert response.status_code == 503, response.data
            assert int(response.headers["Retry-After"]) > 0
            assert response.get_json()["error"]["code"] == "unavailable"
            # Bounded by DATABASE_TIMEOUT, not by the lock holder.
            assert 0.4 < waited < 3, waited
        started = time.monotonic()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["reason"].startswith(
            "database locked: writes wait more than 0.5 s (another session holds a lock"
        )
        assert time.monotonic() - started < 3
    finally:
        release()
    assert table_rows(database_url) == before
    _assert_both_modes_stored(client, consent)
    assert client.get("/readyz").get_json() == {"status": "ready"}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_write_failing_at_its_last_statement_keeps_none_of_the_others(
    app_factory: AppFactory, database_url: str
) -> None:
    """The outbox row and the bucket are written before the stats upsert: when
    only the stats table is locked, the request is refused and neither of the
    first two stays."""
    client, consent = _client_after_one_beacon(app_factory, "last-statement")
    before = table_rows(database_url)
    release = _hold_lock(database_url, "collect_stats")
    try:
        for payload in (body(consent=consent), body()):
            response = client.post("/api/v1/collect", json=payload, headers=HEADERS)
            assert response.status_code == 503, response.data
            assert response.get_json()["error"]["code"] == "unavailable"
    finally:
        release()
    assert table_rows(database_url) == before
    # The kept connection is usable again: the next beacons are stored whole.
    _assert_both_modes_stored(client, consent)
    after = table_rows(database_url)
    assert len(after["outbox_events"]) == len(before["outbox_events"]) + 1


def test_sqlite_writers_queued_behind_a_lock_each_wait_at_most_the_timeout(
    app_factory: AppFactory, database_url: str, live_server_factory: Any
) -> None:
    """Requests queue for SQLite's one writer; while another process holds the database,
    every one of them gives up after DATABASE_TIMEOUT, not one timeout after another."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL has no writer queue of the gateway's own")
    app = app_factory(DATABASE_TIMEOUT=0.5)
    server = live_server_factory(app)
    release = _hold_lock(database_url)
    try:

        def timed(_: int) -> tuple[int, float]:
            started = time.monotonic()
            response = requests.post(
                f"{server.url}/api/v1/collect", json=body(), headers=HEADERS, timeout=30
            )
            return response.status_code, time.monotonic() - started

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(timed, range(6)))
    finally:
        release()
    assert [status for status, _ in answers] == [503] * 6
    assert max(waited for _, waited in answers) < 1.5, answers
    response = requests.post(
        f"{server.url}/api/v1/collect", json=body(), headers=HEADERS, timeout=5
    )
    assert response.status_code == 202


# ---------------------------------------------------------------- GA down under load


@needs_postgres
def test_ga_failing_under_load_loses_and_duplicates_nothing(pg_url: str, tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, pg_url, settings=GA_SETTINGS)
    try:
        upgraded = cluster.gateway("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        ga = cluster.fake_ga()
        nodes = cluster.nodes("node-a", "node-b")
        workers = [cluster.forwarder("forward-1"), cluster.forwarder("forward-2")]
        cfg = requests.get(
            f"{nodes[0]}/api/v1/sites/hottelecom/consent-config?lang=en", timeout=10
        ).json()
        tokens = []
        for node in nodes:
            made = requests.post(
                f"{node}/api/v1/consent",
                json={
                    "site": "hottelecom",
                    "choices": {"analytics": True},
                    "policy_version": cfg["policy_version"],
                    "language": "en",
                    "text_hash": cfg["text_hash"],
                },
                headers=HEADERS,
                timeout=10,
            )
            assert made.status_code == 201
            tokens.append(made.json()["token"])

        requests_sent, marks = 300, [f"g{i}" for i in range(300)]
        # GA fails for a while, several times during the traffic, then recovers.
        faults = {
            0: {"status": 503, "times": 6},
            60: {"status": 429, "times": 3, "retry_after": 1},
            120: {"hang": 2.5, "times": 2},
            180: {"status": 500, "times": 4},
        }

        def send(i: int) -> requests.Response:
            if i in faults:
                inject(ga, faults[i])
            token = tokens[i % 2] if i % 3 else None
            return collect(nodes[i % 2], f"/ga/{i % 7}", [marks[i]], token)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(send, range(requests_sent)))
        event_marks = {marks[i] for i in range(requests_sent) if i % 3}
        for i, answer in enumerate(answers):
            assert answer.status_code == 202, answer.text
            assert answer.json()["mode"] == ("event" if i % 3 else "aggregate")

        # Every fault was served, and then the workers caught up.
        wait_until(lambda: set(delivered(ga).marks) >= event_marks, 40, "the backlog to drain")
        for worker in workers:
            assert worker.stop() == 0, worker.output()
        drained = cluster.gateway("forward", "--once", "--flush")
        assert drained.returncode == 0, drained.stdout + drained.stderr

        got = delivered(ga)
        assert got.failed_attempts >= 6 + 3 + 2 + 4
        assert {m: n for m, n in got.marks.items() if n > 1} == {}
        assert set(got.marks) == event_marks
        assert got.event_page_views == len(event_marks)
        aggregate_sent = requests_sent - len(event_marks)
        assert got.aggregate == {"page_view": aggregate_sent, "mn_hit": aggregate_sent}
        engine = make_engine(pg_url)
        with engine.connect() as conn:
            left = conn.execute(
                sa.text(
                    "SELECT status, count(*) FROM outbox_events WHERE status <> 'sent' GROUP BY 1"
                )
            ).all()
        engine.dispose()
        assert left == []
    finally:
        cluster.stop_all()
        print(cluster.logs())
