"""Rate limits on a real redis-server: shared by nodes, keyed without addresses, never fatal."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.clientinfo import client_address_for_limits
from gateway.extensions import app_limiter
from tests.conftest import DESKTOP_UA, AppFactory
from tests.redis_support import RedisServer
from tests.redis_support import redis_server as redis_server  # the fixture

ALICE = "203.0.113.77"
BOB = "2001:db8::b0b"
CONSENT = "/api/v1/consent"
ORIGIN = "https://hottelecom.example"


def _node(app_factory: AppFactory, server: RedisServer) -> Flask:
    return app_factory(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URL=server.url)


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    client.environ_base["HTTP_USER_AGENT"] = DESKTOP_UA
    return client


def _key_of(app: Flask, address: str) -> str:
    with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
        return client_address_for_limits()


def test_two_nodes_share_one_counter(app_factory: AppFactory, redis_server: RedisServer) -> None:
    first, second = _node(app_factory, redis_server), _node(app_factory, redis_server)
    # Two nodes: each with its own connection to Redis, nothing shared in the process.
    assert app_limiter(first).storage is not app_limiter(second).storage
    on_first, on_second = _client(first, ALICE), _client(second, ALICE)
    codes = []
    for n in range(30):
        client = on_first if n % 2 else on_second
        codes.append(client.post(CONSENT, json={}).status_code)
    assert codes == [400] * 30
    # 15 requests on each node: either one now refuses the 31st.
    for client in (on_first, on_second):
        refused = client.post(CONSENT, json={})
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "rate_limited"
        # Redis gives TTLs in whole seconds: the wait may be rounded up by one, never down.
        assert 59 <= int(refused.headers["Retry-After"]) <= 61
        assert refused.headers["X-RateLimit-Remaining"] == "0"
    [key] = [k for k in redis_server.all_keys() if "consent.create_consent" in k]
    with redis_server.client() as conn:
        assert int(conn.get(key) or 0) == 32


def test_counters_are_per_client(app_factory: AppFactory, redis_server: RedisServer) -> None:
    first, second = _node(app_factory, redis_server), _node(app_factory, redis_server)
    alice = _client(first, ALICE)
    assert [alice.post(CONSENT, json={}).status_code for _ in range(31)] == [400] * 30 + [429]
    # Alice is refused on the other node too; Bob, on either node, has his own budget.
    assert _client(second, ALICE).post(CONSENT, json={}).status_code == 429
    bob_codes = [
        _client(first if n % 2 else second, BOB).post(CONSENT, json={}).status_code
        for n in range(31)
    ]
    assert bob_codes == [400] * 30 + [429]
    keys = [k for k in redis_server.all_keys() if "consent.create_consent" in k]
    assert len(keys) == 2
    assert {k.split("/")[2] for k in keys} == {_key_of(first, ALICE), _key_of(first, BOB)}
    # Both nodes derive the same daily key for a client (same secret), so they agree.
    assert _key_of(first, ALICE) == _key_of(second, ALICE)


def test_redis_holds_no_client_address(app_factory: AppFactory, redis_server: RedisServer) -> None:
    app = _node(app_factory, redis_server)
    for address in (ALICE, BOB, "::ffff:198.51.100.23"):
        client = _client(app, address)
        client.post(CONSENT, json={})
        client.post("/api/v1/collect", json={"site": "hottelecom"}, headers={"Origin": ORIGIN})
        client.post("/g/collect")
        client.post("/admin/logout")
        client.get("/api/v1/policy")
    keys = redis_server.all_keys()
    assert len(keys) >= 3 * 4
    readable = []
    for key in keys:
        # LIMITS:LIMITER/<prefix>/<daily keyed hash>/<endpoint>/<amount>/<multiples>/<unit>
        head, prefix, client_key, *rest = key.split("/")
        assert prefix == "gateway"
        assert len(client_key) == 32
        assert int(client_key, 16) >= 0
        # The hash is random hex and may spell "b0b" by chance; everything else may not.
        readable.append("/".join([head, prefix, *rest]))
    with redis_server.client() as conn:
        readable += [str(conn.get(k)) for k in keys]
    dump = "\n".join(readable)
    for fragment in ("203.0.113.77", "203.0.113", "2001:db8", "b0b", "198.51.100.23"):
        assert fragment not in dump


def test_redis_going_away_never_stops_the_gateway(
    app_factory: AppFactory, redis_server: RedisServer
) -> None:
    app = _node(app_factory, redis_server)
    client = _client(app, ALICE)
    assert client.post(CONSENT, json={}).status_code == 400
    assert redis_server.all_keys()

    redis_server.stop()
    started = time.monotonic()
    codes = [client.post(CONSENT, json={}).status_code for _ in range(40)]
    codes += [client.get("/api/v1/policy").status_code, client.post("/g/collect").status_code]
    assert 500 not in codes
    # The limits still hold, counted afresh in this node's memory meanwhile.
    assert codes[:40] == [400] * 30 + [429] * 10
    assert time.monotonic() - started < 10

    # Redis back on the same address: within a few backoff rounds counting goes there again.
    redis_server.start()
    deadline = time.monotonic() + 40
    while not redis_server.all_keys():
        assert time.monotonic() < deadline, "the gateway never went back to Redis"
        assert _client(app, BOB).post(CONSENT, json={}).status_code == 400
        time.sleep(0.5)


def test_redis_that_stops_answering_costs_at_most_a_timeout(
    app_factory: AppFactory, redis_server: RedisServer
) -> None:
    app = _node(app_factory, redis_server)
    client = _client(app, ALICE)
    assert client.post(CONSENT, json={}).status_code == 400
    redis_server.pause()
    try:
        timings = []
        for _ in range(5):
            started = time.monotonic()
            assert client.post(CONSENT, json={}).status_code == 400
            timings.append(time.monotonic() - started)
    finally:
        redis_server.resume()
    # The first request waits for the socket timeout (0.5 s), the rest use the fallback.
    assert max(timings) < 2.5
    assert sum(timings) < 4


def test_lean_intake_counts_in_memory_while_redis_is_away(
    app_factory: AppFactory, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/g/collect is served by the lean path: the same fallback and return as Flask's."""
    from gateway.analytics.intake import lean

    monkeypatch.setattr(lean, "STORAGE_RECHECK_SECONDS", 0.5)
    first, second = _node(app_factory, redis_server), _node(app_factory, redis_server)
    client = _client(first, ALICE)
    assert client.post("/g/collect").status_code == 400
    assert any("analytics.gtag_collect" in key for key in redis_server.all_keys())
    # A second node saw the same client's hit in Redis.
    before = _client(second, ALICE).post("/g/collect")
    assert before.headers["X-RateLimit-Remaining"] == "1198"

    redis_server.stop()
    codes = [client.post("/g/collect").status_code for _ in range(1201)]
    assert 500 not in codes
    # Counted afresh in this node's memory: 1200 allowed, then refused.
    assert codes[:1200] == [400] * 1200
    assert codes[1200] == 429

    redis_server.start()
    deadline = time.monotonic() + 20
    while not any("analytics.gtag_collect" in k for k in redis_server.all_keys()):
        assert time.monotonic() < deadline, "the lean path never went back to Redis"
        assert _client(first, BOB).post("/g/collect").status_code == 400
        time.sleep(0.2)
