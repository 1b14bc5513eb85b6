"""The intake's lean path answers exactly as Flask's own dispatch of the same views."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response as WerkzeugResponse

from gateway.analytics.intake.lean import LeanIntake
from tests.conftest import DESKTOP_UA, AppFactory
from tests.test_collect import GTAG_SHARED, HEADERS, ORIGIN, body, rows

# Headers whose values differ between two runs for reasons of time alone.
VOLATILE = {"Date", "X-RateLimit-Reset", "Retry-After"}


def _lean(app: Flask) -> LeanIntake:
    lean = app.wsgi_app
    assert isinstance(lean, LeanIntake)
    return lean


def _send(wsgi: Any, **request: Any) -> WerkzeugResponse:
    return Client(wsgi, WerkzeugResponse).open(**request)


def _answer(response: WerkzeugResponse) -> tuple[int, Any, dict[str, str]]:
    text = response.get_data(as_text=True)
    payload = json.loads(text) if text else None
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE}
    return response.status_code, payload, headers


CASES: dict[str, dict[str, Any]] = {
    "aggregate beacon": {
        "method": "POST",
        "path": "/api/v1/collect",
        "json": body(),
        "headers": HEADERS,
    },
    "sendBeacon text/plain": {
        "method": "POST",
        "path": "/api/v1/collect",
        "data": json.dumps(body()),
        "content_type": "text/plain;charset=UTF-8",
        "headers": HEADERS,
    },
    "malformed JSON": {
        "method": "POST",
        "path": "/api/v1/collect",
        "data": "{",
        "content_type": "application/json",
        "headers": HEADERS,
    },
    "wrong content type": {
        "method": "POST",
        "path": "/api/v1/collect",
        "data": "site=hottelecom",
        "content_type": "application/x-www-form-urlencoded",
    },
    "unknown site": {
        "method": "POST",
        "path": "/api/v1/collect",
        "json": body(site="nosuchsite"),
        "headers": HEADERS,
    },
    "foreign origin": {
        "method": "POST",
        "path": "/api/v1/collect",
        "json": body(),
        "headers": {"User-Agent": DESKTOP_UA, "Origin": "https://evil.example"},
    },
    "body over 64 KiB": {
        "method": "POST",
        "path": "/api/v1/collect",
        "data": "x" * (65 * 1024),
        "content_type": "application/json",
    },
    "gtag hit": {
        "method": "GET",
        "path": "/g/collect?" + urlencode({**GTAG_SHARED, "en": "page_view"}),
        "headers": HEADERS,
    },
    "gtag batch": {
        "method": "POST",
        "path": "/g/collect?" + urlencode(GTAG_SHARED),
        "data": "en=page_view\nen=scroll",
        "content_type": "text/plain",
        "headers": HEADERS,
    },
    "gtag unknown measurement id": {
        "method": "GET",
        "path": "/g/collect?" + urlencode({**GTAG_SHARED, "tid": "G-NOPE00000", "en": "x"}),
    },
}


def _stored(app: Flask) -> dict[str, list[dict[str, Any]]]:
    skip = ("id", "created_at", "available_at")
    return {
        table: sorted(
            ({k: v for k, v in row.items() if k not in skip} for row in rows(app, table)),
            key=repr,
        )
        for table in ("outbox_events", "aggregate_counts", "collect_stats")
    }


def _doubled(stored: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """What the tables hold once the same request was stored a second time."""
    return {
        "outbox_events": sorted(stored["outbox_events"] * 2, key=repr),
        **{
            table: [{**row, "count": row["count"] * 2} for row in stored[table]]
            for table in ("aggregate_counts", "collect_stats")
        },
    }


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("limits", [False, True], ids=["limits-off", "limits-on"])
def test_lean_path_answers_like_flask(app_factory: AppFactory, case: str, limits: bool) -> None:
    """Same status, body and headers, and the same rows stored, by either path."""
    app = app_factory(RATELIMIT_ENABLED=limits)
    lean = _lean(app)
    by_lean = _answer(_send(lean, **CASES[case]))
    after_lean = _stored(app)
    fresh = app_factory(RATELIMIT_ENABLED=limits)  # a new limiter window for the second path
    by_flask = _answer(_send(_lean(fresh).wsgi_app, **CASES[case]))
    assert by_lean == by_flask
    assert _stored(app) == _doubled(after_lean)


def test_lean_path_serves_only_the_marked_routes(app: Flask) -> None:
    lean = _lean(app)
    assert {path: sorted(r.endpoint for r in routes) for path, routes in lean.routes.items()} == {
        "/api/v1/collect": ["analytics.collect"],
        "/g/collect": ["analytics.gtag_collect"],
    }
    # The preflight and wrong methods are Flask's: a 204 with CORS, a 405 with Allow.
    preflight = _send(
        lean,
        method="OPTIONS",
        path="/api/v1/collect",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN
    wrong = _send(lean, method="PUT", path="/api/v1/collect", json=body())
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def _post_many(app: Flask, count: int, remote: str) -> list[WerkzeugResponse]:
    client = app.test_client()
    return [
        client.post(
            "/api/v1/collect",
            data="{",  # cheap to refuse, still counted against the limit
            content_type="application/json",
            environ_base={"REMOTE_ADDR": remote},
        )
        for _ in range(count)
    ]


def test_declared_collect_limit_is_enforced_on_the_lean_path(app_factory: AppFactory) -> None:
    from gateway.analytics.intake.views import COLLECT_LIMIT

    allowed = int(COLLECT_LIMIT.split()[0])
    app = app_factory(RATELIMIT_ENABLED=True)
    answers = _post_many(app, allowed + 1, "198.51.100.7")
    assert {a.status_code for a in answers[:allowed]} == {400}
    assert answers[allowed - 1].headers["X-RateLimit-Remaining"] == "0"
    refused = answers[allowed]
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == str(allowed)
    assert refused.headers["X-Content-Type-Options"] == "nosniff"
    # Another client has its own budget; the limited one stays limited for valid beacons too.
    other = app.test_client().post(
        "/api/v1/collect", json=body(), headers=HEADERS, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert other.status_code == 202
    again = app.test_client().post(
        "/api/v1/collect",
        json=body(),
        headers=HEADERS,
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert again.status_code == 429
    assert rows(app, "aggregate_counts")[0]["count"] == 1  # the refused beacon was not counted


def test_every_lean_route_declares_a_limit(app: Flask) -> None:
    """A marked view whose limits the lean path cannot find would go unlimited."""
    from gateway.ratelimits import route_limits

    for routes in _lean(app).routes.values():
        for route in routes:
            for method in route.methods:
                assert route_limits(app, route.endpoint, method), (route.endpoint, method)


def test_unexpected_error_is_a_json_500_without_request_details(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.analytics.intake import pipeline

    def broken(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "process", broken)
    response = app.test_client().post(
        "/api/v1/collect", json=body(), headers=HEADERS, environ_base={"REMOTE_ADDR": "203.0.113.5"}
    )
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "analytics.collect" in logged
    assert "203.0.113.5" not in logged


def test_lean_path_is_inside_the_trusted_proxy_hop(app_factory: AppFactory) -> None:
    """With one trusted proxy, limits are keyed on the forwarded client, not the proxy."""
    app = app_factory(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    client = app.test_client()

    def remaining(forwarded: str) -> int:
        answer = client.post(
            "/api/v1/collect",
            json=body(),
            headers={**HEADERS, "X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        assert answer.status_code == 202
        return int(answer.headers["X-RateLimit-Remaining"])

    first = remaining("198.51.100.1")
    assert remaining("198.51.100.1") == first - 1
    assert remaining("198.51.100.2") == first  # a different client behind the same proxy


def _iter_bytes(chunks: Iterable[bytes]) -> bytes:
    return b"".join(chunks)


def test_head_on_gtag_is_answered_without_a_body(app: Flask) -> None:
    environ = EnvironBuilder(
        method="HEAD",
        path="/g/collect?" + urlencode({**GTAG_SHARED, "en": "page_view"}),
        headers=HEADERS,
    ).get_environ()
    seen: list[str] = []
    payload = _iter_bytes(
        _lean(app)(environ, lambda status, headers, exc=None: seen.append(status))
    )
    assert seen == ["204 NO CONTENT"]
    assert payload == b""
