"""'Needs attention' on the dashboard: a stalled forwarder and stuck mail, and the
empty states of "What Google receives" saying why they are empty."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import time_machine
from flask import Flask

from gateway.analytics.models import OutboxEvent
from gateway.extensions import db
from gateway.mail import OutboundMail
from tests.admin_support import signed_in
from tests.conftest import AppFactory

NOW = datetime(2026, 11, 25, 12, 0)
EVENT = json.dumps({"name": "page_view", "params": {"page_location": "https://x.example/"}})


def _pending(app: Flask, count: int, due: datetime, attempts: int = 0) -> None:
    with app.app_context(), db.transaction() as session:
        for _ in range(count):
            session.add(
                OutboxEvent(
                    site="hottelecom",
                    mode="event",
                    event_json=EVENT,
                    timestamp_micros=int(due.timestamp() * 1e6),
                    status="pending",
                    attempts=attempts,
                    created_at=due,
                    available_at=due,
                )
            )


def _strip(html: str) -> str:
    return html.split('aria-labelledby="attention-title"', 1)[1].split("</section>", 1)[0]


@time_machine.travel(NOW, tick=False)
def test_a_forwarder_that_does_not_run_needs_attention(app: Flask) -> None:
    client = signed_in(app, "staff")
    _pending(app, 45, NOW - timedelta(minutes=50))
    strip = _strip(client.get("/admin").get_data(as_text=True))
    assert "Needs attention" in strip
    assert "45 events wait to be sent to Google, the oldest for 50 minutes" in strip
    assert "is not running or is falling behind" in strip
    assert 'href="/admin/forwarded"' in strip
    page = client.get("/admin/forwarded").get_data(as_text=True)
    empty = page.split('id="requests-empty">', 1)[1].split("</p>", 1)[0]
    assert "45 events are waiting in the outbox, the oldest for 50 minutes" in empty
    # The test app runs in dry-run: it says so rather than that Google accepted everything.
    assert "In dry-run nothing is sent, so Google has refused nothing." in page
    assert "Everything Google was sent, it accepted" not in page


@time_machine.travel(NOW, tick=False)
def test_the_same_in_russian(app: Flask) -> None:
    client = signed_in(app, "staff")
    with app.app_context(), db.transaction() as session:
        from gateway.admin.models import User

        for user in session.query(User):
            user.language = "ru"
    _pending(app, 21, NOW - timedelta(hours=3))
    strip = _strip(client.get("/admin").get_data(as_text=True))
    assert "Требует внимания" in strip
    assert "21 событие ждёт отправки в Google, самое давнее — 3 часа" in strip


@time_machine.travel(NOW, tick=False)
def test_a_forwarder_keeping_up_or_backing_off_is_not_an_alarm(app: Flask) -> None:
    client = signed_in(app, "staff")
    _pending(app, 30, NOW - timedelta(minutes=2))  # the next pass takes them
    _pending(app, 5, NOW + timedelta(minutes=20), attempts=3)  # waiting to retry, on purpose
    strip = _strip(client.get("/admin").get_data(as_text=True))
    assert "Nothing needs attention" in strip
    assert "Google" not in strip


@time_machine.travel(NOW, tick=False)
def test_mail_that_does_not_get_out_needs_attention_without_naming_anyone(app: Flask) -> None:
    client = signed_in(app, "staff")
    with app.app_context(), db.transaction() as session:
        for index, attempts in enumerate((3, 4, 0)):
            session.add(
                OutboundMail(
                    recipient=f"requester{index}@example.org",
                    subject="Your request",
                    text_body="…",
                    html_body="…",
                    message_id=f"<m{index}@gateway.example>",
                    created_at=NOW - timedelta(hours=2),
                    attempts=attempts,
                    last_error="550 5.1.1 <requester0@example.org>: mailbox unavailable",
                )
            )
        session.add(
            OutboundMail(
                recipient="fresh@example.org",
                subject="Your request",
                text_body="…",
                html_body="…",
                message_id="<fresh@gateway.example>",
                created_at=NOW - timedelta(minutes=1),
            )
        )
    strip = _strip(client.get("/admin").get_data(as_text=True))
    assert "2 mails undelivered for over 30 minutes: the mail server refuses them" in strip
    assert "1 mail has waited over 30 minutes without a try" in strip
    assert "example.org" not in strip
    assert "550" not in strip


@time_machine.travel(NOW, tick=False)
def test_empty_what_google_receives_says_why(app_factory: AppFactory) -> None:
    app = app_factory(GA_ENDPOINT="https://www.google-analytics.com/mp/collect")
    client = signed_in(app, "staff")
    page = client.get("/admin/forwarded").get_data(as_text=True)
    empty = page.split('id="requests-empty">', 1)[1].split("</p>", 1)[0]
    assert "no event reached the outbox" in empty
    assert "Nothing has been sent to Google yet, so Google has refused nothing." in page
    _pending(app, 3, NOW - timedelta(minutes=1))
    page = client.get("/admin/forwarded").get_data(as_text=True)
    assert "Nothing has been sent to Google yet (3 events waiting in the outbox)" in page
    assert "Everything Google was sent, it accepted" not in page
