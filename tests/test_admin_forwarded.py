"""/admin/forwarded: the payloads, filters, pagination, drop reasons, dead letters and retries."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask

from gateway.analytics.forwarded import HIDDEN, PER_PAGE, pretty_json, redact
from gateway.analytics.forwarding.models import ForwardedRequest
from gateway.analytics.models import CollectStat, OutboxEvent
from gateway.extensions import db
from tests.admin_support import signed_in, token_for

NOW = "2026-11-25 12:00:00"


def _request(
    site: str = "hottelecom",
    mode: str = "aggregate",
    outcome: str = "dry_run",
    when: datetime = datetime(2026, 11, 25, 9),
    body: dict | None = None,  # type: ignore[type-arg]
    **extra: object,
) -> ForwardedRequest:
    payload = body or {
        "client_id": "530771234.1764050400",
        "events": [{"name": "page_view", "params": {"page_path": f"/{site}/{mode}"}}],
    }
    return ForwardedRequest(
        site=site,
        mode=mode,
        measurement_id="G-TEST000001",
        endpoint_kind="dry-run" if outcome == "dry_run" else "live",
        outcome=outcome,
        event_count=1,
        body_json=json.dumps(payload, separators=(",", ":")),
        created_at=when,
        **extra,
    )


def _dead(site: str, reason: str) -> OutboxEvent:
    return OutboxEvent(
        site=site,
        mode="aggregate",
        event_json=json.dumps({"name": "page_view", "params": {"page_path": "/x"}}),
        timestamp_micros=0,
        status="dead",
        attempts=3,
        sent_at=datetime(2026, 11, 24, 10),
        last_error=reason,
    )


def test_pretty_json_and_redaction() -> None:
    assert pretty_json('{"a":{"b":1}}') == '{\n  "a": {\n    "b": 1\n  }\n}'
    assert pretty_json("not json") == "not json"
    assert redact("x=s3cret&y=1", ["s3cret", ""]) == f"x={HIDDEN}&y=1"


@time_machine.travel(NOW, tick=False)
def test_payloads_are_shown_pretty_printed_newest_first(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            [
                _request(when=datetime(2026, 11, 25, 8), body={"events": [{"name": "older"}]}),
                _request(when=datetime(2026, 11, 25, 9), body={"events": [{"name": "newer"}]}),
            ]
        )
        db.session.commit()
    html = signed_in(app, "staff").get("/admin/forwarded").get_data(as_text=True)
    assert "{\n  &#34;events&#34;: [\n    {\n      &#34;name&#34;: &#34;newer&#34;" in html
    assert html.index("newer") < html.index("older")
    assert "measurement_id=G-TEST000001&amp;api_secret=…" in html


@time_machine.travel(NOW, tick=False)
def test_the_api_secret_is_never_shown(app: Flask) -> None:
    """Even if a secret reached a stored body, an error or GA's answer, the page hides it."""
    with app.app_context():
        db.session.add(
            _request(
                outcome="dead",
                body={"events": [{"name": "oops", "params": {"k": "test-api-secret"}}]},
                status_code=400,
                response_text="bad api_secret=test-api-secret",
                error="url ...&api_secret=shop-api-secret",
            )
        )
        db.session.add(_dead("hottelecom", "HTTP 403: api_secret test-api-secret revoked"))
        db.session.commit()
    html = signed_in(app, "admin").get("/admin/forwarded").get_data(as_text=True)
    assert "test-api-secret" not in html
    assert "shop-api-secret" not in html
    assert html.count(HIDDEN) == 4


@time_machine.travel(NOW, tick=False)
def test_filters_by_site_mode_outcome_and_time(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            [
                _request("hottelecom", "aggregate", "sent"),
                _request("hottelecom", "event", "sent"),
                _request("shop", "aggregate", "dead"),
                _request("shop", "event", "retry", when=datetime(2026, 11, 1, 9)),
            ]
        )
        db.session.commit()
    client = signed_in(app, "staff")

    def shown(query: str) -> set[str]:
        html = client.get("/admin/forwarded?" + query).get_data(as_text=True)
        return set(re.findall(r"&#34;page_path&#34;: &#34;/(\w+/\w+)&#34;", html))

    assert shown("") == {"hottelecom/aggregate", "hottelecom/event", "shop/aggregate"}
    assert shown("site=shop") == {"shop/aggregate"}
    assert shown("mode=event") == {"hottelecom/event"}
    assert shown("outcome=dead") == {"shop/aggregate"}
    assert shown("from=2026-11-01&to=2026-11-01") == {"shop/event"}
    assert shown("from=2026-10-01&site=shop&mode=event") == {"shop/event"}


@time_machine.travel(NOW, tick=False)
def test_pages_of_twenty(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            _request(when=datetime(2026, 11, 25, 0, i), body={"events": [{"name": f"e{i:02d}"}]})
            for i in range(PER_PAGE + 5)
        )
        db.session.commit()
    client = signed_in(app, "staff")
    first = client.get("/admin/forwarded").get_data(as_text=True)
    assert "page 1 of 2" in first
    assert "e24" in first
    assert "e04" not in first
    assert 'rel="next"' in first
    second = client.get("/admin/forwarded?page=2").get_data(as_text=True)
    assert set(re.findall(r"&#34;(e\d\d)&#34;", second)) == {f"e{i:02d}" for i in range(5)}
    # Past the last page: the last page, not an empty one.
    assert "e00" in client.get("/admin/forwarded?page=99").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("mode=Bogus", "Unknown mode &#39;Bogus&#39;; choose one of event, aggregate."),
        ("outcome=lost", "Unknown outcome &#39;lost&#39;"),
        ("page=-1", "The page number must be a whole number from 1"),
        ("from=2026-99-01", "dates are written YYYY-MM-DD"),
        ("site=%3Cscript%3E", "There is no site &#39;&lt;script&gt;&#39;"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_bad_filters_are_explained(app: Flask, query: str, message: str) -> None:
    response = signed_in(app, "staff").get("/admin/forwarded?" + query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_drop_reasons_follow_the_site_and_range(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            [
                CollectStat(
                    day=date(2026, 11, 25),
                    site="hottelecom",
                    result="dropped",
                    reason="bot_user_agent",
                    count=7,
                ),
                CollectStat(
                    day=date(2026, 11, 25),
                    site="shop",
                    result="dropped",
                    reason="invalid_page_url",
                    count=2,
                ),
                CollectStat(
                    day=date(2026, 10, 1),
                    site="hottelecom",
                    result="dropped",
                    reason="headless_browser",
                    count=5,
                ),
            ]
        )
        db.session.commit()
    client = signed_in(app, "staff")
    html = client.get("/admin/forwarded").get_data(as_text=True)
    assert re.search(r"<code>bot_user_agent</code></th><td class=\"num\">7<", html)
    assert "invalid_page_url" in html
    assert "headless_browser" not in html
    shop = client.get("/admin/forwarded?site=shop").get_data(as_text=True)
    assert "bot_user_agent" not in shop
    assert "invalid_page_url" in shop


def _statuses(app: Flask) -> dict[int, tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxEvent.id, OutboxEvent.status, OutboxEvent.attempts)
        ).all()
        return {r.id: (r.status, r.attempts) for r in rows}


@time_machine.travel(NOW, tick=False)
def test_admin_retries_one_dead_letter_then_all_of_a_site(app: Flask) -> None:
    with app.app_context():
        db.session.add_all(
            [
                _dead("hottelecom", "HTTP 400: bad event"),
                _dead("shop", 'HTTP 400: {"error": "wrong secret"}'),
                _dead("shop", 'HTTP 400: {"error": "wrong secret"}'),
            ]
        )
        db.session.commit()
    client = signed_in(app, "admin")
    html = client.get("/admin/forwarded").get_data(as_text=True)
    assert "HTTP 400: {&#34;error&#34;: &#34;wrong secret&#34;}" in html
    assert "Retry all 3 dead letters" in html
    token = token_for(client, "/admin/forwarded")
    response = client.post(
        "/admin/forwarded/retry",
        data={"csrf_token": token, "event_id": "1", "next": "/admin/forwarded?site=hottelecom"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/forwarded?site=hottelecom"
    assert _statuses(app) == {1: ("pending", 0), 2: ("dead", 3), 3: ("dead", 3)}
    page = client.get("/admin/forwarded?site=hottelecom").get_data(as_text=True)
    assert "1 event is pending again; the forwarder sends it on its next pass." in page
    client.post("/admin/forwarded/retry", data={"csrf_token": token, "site": "shop"})
    assert _statuses(app) == {1: ("pending", 0), 2: ("pending", 0), 3: ("pending", 0)}
    again = client.post(
        "/admin/forwarded/retry",
        data={"csrf_token": token, "event_id": "2", "next": "https://evil.example/"},
    )
    assert again.headers["Location"] == "/admin/forwarded"
    assert "Nothing to retry" in client.get("/admin/forwarded").get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_retry_refuses_nonsense(app: Flask) -> None:
    with app.app_context():
        db.session.add(_dead("shop", "HTTP 400"))
        db.session.commit()
    client = signed_in(app, "admin")
    token = token_for(client, "/admin/forwarded")
    for data in ({"event_id": "1; drop"}, {"site": "nowhere"}):
        response = client.post("/admin/forwarded/retry", data={"csrf_token": token, **data})
        assert response.status_code == 303
    assert _statuses(app) == {1: ("dead", 3)}


@time_machine.travel(NOW, tick=False)
def test_staff_see_dead_letters_without_a_retry_button(app: Flask) -> None:
    with app.app_context():
        db.session.add(_dead("shop", "HTTP 400: nope"))
        db.session.commit()
    client = signed_in(app, "staff")
    html = client.get("/admin/forwarded").get_data(as_text=True)
    assert "HTTP 400: nope" in html
    assert "/admin/forwarded/retry" not in html
    assert "Only an admin can put dead letters back" in html
    response = client.post(
        "/admin/forwarded/retry", data={"csrf_token": token_for(client), "event_id": "1"}
    )
    assert response.status_code == 403
    assert _statuses(app) == {1: ("dead", 3)}
