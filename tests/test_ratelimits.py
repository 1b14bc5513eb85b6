"""Rate limits: every write route has one, and a refused client learns exactly when to retry."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from flask_limiter._limits import RuntimeLimit
from werkzeug.routing import IntegerConverter, Rule

from gateway.admin.auth import STAFF_WRITE_LIMIT
from gateway.contact.models import ContactRequest, RequestMessage
from gateway.extensions import db, limiter
from gateway.ratelimits import UNSAFE_METHODS, describe, route_limits, wait_phrase
from tests.conftest import DESKTOP_UA, AppFactory
from tests.contact_support import (
    HTTPS,
    browser_like_client,
    confirm,
    hidden_inputs,
    link_in,
    login,
    read_mails,
    submit_contact,
)

# A Monday morning, far from midnight (the limit key changes with the UTC day).
FROZEN = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
T0 = int(FROZEN.timestamp())
COLLECT_BODY = {
    "site": "hottelecom",
    "page": {"url": "https://hottelecom.example/", "title": "Home"},
    "events": [{"name": "page_view"}],
}
COLLECT_HEADERS = {"User-Agent": DESKTOP_UA, "Origin": "https://hottelecom.example"}


def _write_routes(app: Flask) -> Iterator[tuple[Rule, str]]:
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(set(rule.methods or ()) & set(UNSAFE_METHODS)):
            yield rule, method


def _example_path(rule: Rule) -> str:
    values: dict[str, object] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = 1 if isinstance(converter, IntegerConverter) else "x"
    built = rule.build(values, append_unknown=False)
    assert built is not None
    return built[1]


def _staff_default_only(limits: list[RuntimeLimit]) -> bool:
    return all(lim.shared and lim.scope == "staff-writes" for lim in limits)


# -- inventory ---------------------------------------------------------------------------


def test_every_write_route_declares_a_limit(app: Flask) -> None:
    """Every POST/PUT/PATCH/DELETE route (admin sign-in included) has a limit of its own."""
    missing: list[str] = []
    not_wrapped: list[str] = []
    seen = 0
    for rule, method in _write_routes(app):
        seen += 1
        if not route_limits(app, rule.endpoint, method):
            missing.append(f"{method} {rule.rule}")
        # Declared is not enough: the limiter's wrapper must be the view that runs
        # (a decorator above @bp.route would register the limit and check nothing).
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__wrapper-limiter-instance", None) != limiter:
            not_wrapped.append(f"{method} {rule.rule}")
    assert seen >= 14
    assert missing == []
    assert not_wrapped == []
    # Per client address, and per account (failed attempts only).
    assert sorted(describe(route_limits(app, "admin.login", "POST"))) == [
        "10 per 1 hour",
        "10 per 1 minute",
        "30 per 1 day",
        "50 per 1 hour",
    ]
    # Reading the sign-in page is not limited; trying passwords is.
    assert route_limits(app, "admin.login", "GET") == []


def test_limits_are_checked_on_every_write_route_and_the_staff_default_needs_sign_in(
    app_factory: AppFactory,
) -> None:
    """One anonymous request per write route: its declared limit is the one counted.

    Routes that rely on the shared staff budget alone must send an anonymous
    visitor to the sign-in page: a public route cannot hide under it.
    """
    app = app_factory(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    staff_only = []
    for rule, method in _write_routes(app):
        path = _example_path(rule)
        response = client.open(path, method=method, base_url=HTTPS)
        where = f"{method} {rule.rule}"
        assert response.status_code < 500, where
        declared = route_limits(app, rule.endpoint, method)
        amounts = {str(lim.limit.amount) for lim in declared}
        assert response.headers.get("X-RateLimit-Limit") in amounts, where
        assert "Retry-After" not in response.headers, where
        if _staff_default_only(declared):
            staff_only.append(rule.endpoint)
            assert response.status_code == 302, where
            assert response.headers["Location"].startswith("/admin/login"), where
    assert "admin.login" not in staff_only
    assert "contact_staff.act" in staff_only
    assert "policy_staff.publish" in staff_only
    assert STAFF_WRITE_LIMIT == "120 per minute;2000 per hour"


# -- the 429 answer ----------------------------------------------------------------------


def test_api_answer_is_json_with_the_exact_retry_after(app_factory: AppFactory) -> None:
    client = app_factory(RATELIMIT_ENABLED=True).test_client()
    with time_machine.travel(FROZEN, tick=False) as clock:
        assert [client.post("/api/v1/consent", json={}).status_code for _ in range(30)] == [
            400
        ] * 30
        clock.shift(20)
        refused = client.post("/api/v1/consent", json={})
        assert refused.status_code == 429
        assert refused.mimetype == "application/json"
        assert refused.get_json() == {
            "error": {
                "code": "rate_limited",
                "message": "Too many requests; try again in 40 seconds.",
            }
        }
        assert refused.headers["Retry-After"] == "40"
        assert refused.headers["X-RateLimit-Limit"] == "30"
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert int(refused.headers["X-RateLimit-Reset"]) in (T0 + 60, T0 + 61)
        # One second before the window ends it still says one second...
        clock.shift(39)
        refused = client.post("/api/v1/consent", json={})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "1"
        # ...and at the second it named, the client is heard again.
        clock.shift(1)
        assert client.post("/api/v1/consent", json={}).status_code == 400


def test_gtag_endpoint_answers_json_too(app_factory: AppFactory) -> None:
    client = app_factory(RATELIMIT_ENABLED=True).test_client()
    with time_machine.travel(FROZEN, tick=False):
        codes = {client.post("/g/collect").status_code for _ in range(1200)}
        assert codes == {400}
        refused = client.post("/g/collect")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == {
        "code": "rate_limited",
        "message": "Too many requests; try again in 60 seconds.",
    }
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-RateLimit-Limit"] == "1200"


def _logout_token(client: FlaskClient) -> str:
    return hidden_inputs(client.get("/admin/login", base_url=HTTPS).get_data(as_text=True))[
        "csrf_token"
    ]


@pytest.mark.parametrize(
    ("language", "title", "when", "home"),
    [
        ("ru", "Слишком много запросов", "через 60 секунд", "На главную"),
        ("en", "Too many requests", "in 60 seconds", "Home"),
    ],
)
def test_form_routes_answer_with_a_page_in_the_visitors_language(
    app_factory: AppFactory, language: str, title: str, when: str, home: str
) -> None:
    client = browser_like_client(app_factory(RATELIMIT_ENABLED=True))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    with time_machine.travel(FROZEN, tick=False):
        # Signing out ends the session (and its form token): a fresh one each time.
        for _ in range(30):
            form = {"csrf_token": _logout_token(client)}
            assert client.post("/admin/logout", data=form, base_url=HTTPS).status_code == 303
        form = {"csrf_token": _logout_token(client)}
        refused = client.post("/admin/logout", data=form, base_url=HTTPS)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert refused.headers["Retry-After"] == "60"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    page = unescape(refused.get_data(as_text=True))
    assert f'<html lang="{language}">' in page
    assert f"<h1>{title}</h1>" in page
    assert when in page
    assert home in page


def _requests_stored(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(ContactRequest)) or 0)


@pytest.mark.parametrize(
    ("language", "notice"),
    [
        ("en", "Too many submissions from your address: this one was not sent."),
        ("ru", "Слишком много отправок с вашего адреса: форма не отправлена."),
    ],
)
def test_contact_form_keeps_the_text_and_says_it_was_not_sent(
    app_factory: AppFactory, language: str, notice: str
) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, RATELIMIT_ENABLED=True)
    client = browser_like_client(app)
    with time_machine.travel(FROZEN, tick=False) as clock:
        for n in range(5):
            sent = submit_contact(client, lang=language, email=f"r{n}@example.com")
            assert sent.status_code == 303
        clock.shift(15)
        refused = submit_contact(
            client,
            lang=language,
            email="sixth@example.com",
            message="Верните, пожалуйста, деньги за март <3",
        )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    page = unescape(refused.get_data(as_text=True))
    assert notice in page
    assert wait_phrase(45, language) in page
    # Nothing lost: the form is shown again with what was typed, ready to resend.
    assert "Верните, пожалуйста, деньги за март <3</textarea>" in page
    assert 'value="sixth@example.com"' in page
    assert "csrf_token" in hidden_inputs(refused.get_data(as_text=True))
    assert _requests_stored(app) == 5


def test_retry_after_covers_every_used_up_limit(app_factory: AppFactory) -> None:
    """5 a minute and 30 a day: with both used up, the wait is the day's, not the minute's."""
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, RATELIMIT_ENABLED=True)
    client = browser_like_client(app)
    with time_machine.travel(FROZEN, tick=False) as clock:
        for minute in range(6):
            codes = [submit_contact(client, email=f"m{minute}n{n}@example.com") for n in range(5)]
            assert [c.status_code for c in codes] == [303] * 5
            clock.shift(60)
        clock.shift(-30)  # 5 minutes 30 seconds after the first accepted request
        refused = submit_contact(client, email="late@example.com")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(86400 - 330)
    assert "in 24 hours" in unescape(refused.get_data(as_text=True))
    assert _requests_stored(app) == 30


def test_answer_on_the_status_page_is_kept(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, RATELIMIT_ENABLED=True)
    client = browser_like_client(app)
    with time_machine.travel(FROZEN, tick=False):
        submit_contact(client, email="a@example.com")
        [mail] = read_mails(app)
        verify = confirm(client, link_in(mail, "/contact/verify/"))
        status_path = verify.headers["Location"]
        token = hidden_inputs(client.get(status_path, base_url=HTTPS).get_data(as_text=True))
        for _ in range(10):
            empty = {"csrf_token": token["csrf_token"], "body": " "}
            assert client.post(status_path, data=empty, base_url=HTTPS).status_code == 400
        answer = {"csrf_token": token["csrf_token"], "body": "Договор HT-42, ответ"}
        refused = client.post(status_path, data=answer, base_url=HTTPS)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    page = unescape(refused.get_data(as_text=True))
    assert "Договор HT-42, ответ</textarea>" in page
    assert "this one was not sent" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0


def test_sign_in_form_says_how_long_to_wait(app_factory: AppFactory) -> None:
    client = browser_like_client(app_factory(RATELIMIT_ENABLED=True))
    with time_machine.travel(FROZEN, tick=False) as clock:
        # Ten different accounts: only the per-address limit is used up.
        codes = [
            login(client, f"who{n}@hottelecom.example", "guess").status_code for n in range(10)
        ]
        assert codes == [401] * 10
        clock.shift(5)
        refused = login(client, "who@hottelecom.example", "guess")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "55"
    page = unescape(refused.get_data(as_text=True))
    assert "Too many sign-in attempts from your address" in page
    assert "try again in 55 seconds" in page
    assert 'value="who@hottelecom.example"' in page
    assert "guess" not in page


@pytest.mark.parametrize(
    ("seconds", "language", "phrase"),
    [
        (1, "en", "in 1 second"),
        (1, "ru", "через 1 секунду"),
        (22, "ru", "через 22 секунды"),
        (90, "en", "in 90 seconds"),
        (91, "en", "in 2 minutes"),
        (301, "ru", "через 6 минут"),
        (3600, "ru", "через 60 минут"),
        (7200, "en", "in 2 hours"),
        (86070, "ru", "через 24 часа"),
        (5 * 3600 + 1, "ru", "через 6 часов"),
        (21 * 3600, "ru", "через 21 час"),
    ],
)
def test_wait_phrase_rounds_up_and_agrees_in_number(
    seconds: int, language: str, phrase: str
) -> None:
    assert wait_phrase(seconds, language) == phrase


def test_limits_are_per_app_not_per_process(app_factory: AppFactory) -> None:
    """The on/off switch and the counters belong to each app, whatever was built last."""
    limited = app_factory(RATELIMIT_ENABLED=True)
    other = app_factory(RATELIMIT_ENABLED=True)
    unlimited = app_factory(RATELIMIT_ENABLED=False)
    client = limited.test_client()
    codes = [client.post("/api/v1/consent", json={}).status_code for _ in range(31)]
    assert codes == [400] * 30 + [429]
    # A second app in memory has its own counters; the unlimited one has none.
    assert other.test_client().post("/api/v1/consent", json={}).status_code == 400
    free = unlimited.test_client()
    assert {free.post("/api/v1/consent", json={}).status_code for _ in range(40)} == {400}
    # Building those apps switched nothing off in the first one.
    assert client.post("/api/v1/consent", json={}).status_code == 429


def test_an_apps_own_retry_after_is_left_alone(app_factory: AppFactory, tmp_path: Path) -> None:
    """A 503 from a database that is away keeps its Retry-After when limits are on.

    (Flask-Limiter would fold its window reset into it: 30 seconds became up to 60.)
    """
    app = app_factory(
        DATABASE_URL=f"sqlite:///{tmp_path / 'unmigrated.db'}", RATELIMIT_ENABLED=True
    )
    with time_machine.travel(FROZEN, tick=False):
        response = app.test_client().post(
            "/api/v1/collect", json=COLLECT_BODY, headers=COLLECT_HEADERS
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["X-RateLimit-Limit"] == "1200"


def _readme_table() -> dict[tuple[str, str], Counter[tuple[int, str]]]:
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("### Rate limits", 1)[1].split("\n#", 1)[0]
    rows: dict[tuple[str, str], Counter[tuple[int, str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 2:
            continue
        found = re.findall(r"(\d+) per (second|minute|hour|day)", cells[1])
        limits = Counter((int(amount), unit) for amount, unit in found)
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) ([^`]+)`", cells[0]):
            rows[(method, path)] = limits
    return rows


def test_readme_table_lists_every_limit(app: Flask) -> None:
    declared: dict[tuple[str, str], Counter[tuple[int, str]]] = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}):
            limits = route_limits(app, rule.endpoint, method)
            if limits:
                declared[(method, rule.rule)] = Counter(
                    (lim.limit.amount, lim.limit.GRANULARITY.name)
                    for lim in limits
                    if lim.limit.multiples == 1
                )
                assert all(lim.limit.multiples == 1 for lim in limits)
    assert _readme_table() == declared
