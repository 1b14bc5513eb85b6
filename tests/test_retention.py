"""`gateway purge` on a frozen clock: what goes, what stays, --dry-run, and the settings."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask

from gateway.admin.models import StaffSession
from gateway.analytics.forwarding.models import ForwardedRequest
from gateway.analytics.models import OutboxEvent
from gateway.contact.models import AuditEntry, ContactRequest
from gateway.extensions import db
from tests.admin_support import make_user
from tests.conftest import AppFactory

NOW = datetime(2026, 11, 25, 12, 0)


def _outbox(status: str, sent_days_ago: float | None, note: str) -> OutboxEvent:
    sent = NOW - timedelta(days=sent_days_ago) if sent_days_ago is not None else None
    return OutboxEvent(
        site="hottelecom",
        mode="aggregate",
        event_json=json.dumps({"name": note}),
        timestamp_micros=0,
        status=status,
        created_at=(sent or NOW) - timedelta(minutes=1),
        sent_at=sent,
    )


def _forwarded(days_ago: float, note: str) -> ForwardedRequest:
    return ForwardedRequest(
        site="hottelecom",
        mode="aggregate",
        endpoint_kind="dry-run",
        outcome="dry_run",
        body_json=json.dumps({"note": note}),
        created_at=NOW - timedelta(days=days_ago),
    )


def _request(status: str, created_days_ago: float, closed_days_ago: float | None) -> ContactRequest:
    closed = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    request = ContactRequest(
        email=f"{status}-{created_days_ago}@mail.example",
        request_type="access",
        status=status,
        created_at=NOW - timedelta(days=created_days_ago),
        closed_at=closed,
    )
    request.audit.append(AuditEntry(actor="system", action="created"))
    return request


def _fill(app: Flask) -> None:
    user_id = make_user(app, "agent@hottelecom.example")
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                _outbox("sent", 8, "sent-8d"),  # past OUTBOX_RETENTION (7)
                _outbox("dry_run", 7.5, "dry-7.5d"),
                _outbox("sent", 6, "sent-6d"),
                _outbox("pending", None, "pending"),  # never purged: not delivered
                _outbox("dead", 31, "dead-31d"),  # past DEAD_LETTER_RETENTION (30)
                _outbox("dead", 29, "dead-29d"),
                _forwarded(31, "fwd-31d"),  # past FORWARDED_RETENTION (30)
                _forwarded(20, "fwd-20d"),
                _request("completed", 1200, 1096),  # closed past REQUEST_RETENTION (1095)
                _request("rejected", 1100, 1000),
                _request("open", 1200, None),  # open requests are never purged
                _request("unverified", 31, None),  # never confirmed: gone after 30 days
                _request("unverified", 2, None),
                StaffSession(
                    id="a" * 64,
                    user_id=user_id,
                    created_at=NOW - timedelta(hours=30),
                    last_seen_at=NOW - timedelta(hours=1),
                ),
                StaffSession(
                    id="b" * 64,
                    user_id=user_id,
                    created_at=NOW - timedelta(hours=10),
                    last_seen_at=NOW - timedelta(hours=9),
                ),
                StaffSession(
                    id="c" * 64,
                    user_id=user_id,
                    created_at=NOW - timedelta(hours=2),
                    last_seen_at=NOW - timedelta(minutes=5),
                ),
            ]
        )
        session.commit()


def _left(app: Flask) -> dict[str, list[str]]:
    with app.app_context():
        session = db.session()
        return {
            "outbox": sorted(
                json.loads(e)["name"] for e in session.scalars(sa.select(OutboxEvent.event_json))
            ),
            "forwarded": sorted(
                json.loads(b)["note"]
                for b in session.scalars(sa.select(ForwardedRequest.body_json))
            ),
            "requests": sorted(
                session.scalars(sa.select(ContactRequest.status)).all()  # type: ignore[arg-type]
            ),
            "sessions": sorted(session.scalars(sa.select(StaffSession.id))),
            "audit": [str(n) for n in session.scalars(sa.select(sa.func.count(AuditEntry.id)))],
        }


def _counts(output: str) -> dict[str, int]:
    return {
        name.split(" (")[0]: int(count)
        for name, count in re.findall(r"^(.+?): (\d+) (?:would be removed|removed)$", output, re.M)
    }


@time_machine.travel(NOW, tick=False)
def test_dry_run_says_what_would_go_and_removes_nothing(app: Flask) -> None:
    _fill(app)
    before = _left(app)
    result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert _counts(result.output) == {
        "consent records": 0,
        "undeliverable mail": 0,
        "delivered outbox events": 2,
        "dead-lettered outbox events": 1,
        "forwarded request records": 1,
        "contact requests": 2,
        "expired staff sessions": 2,
        "daily traffic figures": 0,
        "counts of request mails per address": 0,
    }
    assert "total: 8 would be removed (dry run)" in result.output
    assert _left(app) == before


@time_machine.travel(NOW, tick=False)
def test_purge_removes_exactly_what_is_past_retention(app: Flask) -> None:
    _fill(app)
    result = app.test_cli_runner().invoke(args=["purge", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "total: 8 removed" in result.output
    left = _left(app)
    assert left["outbox"] == ["dead-29d", "pending", "sent-6d"]
    assert left["forwarded"] == ["fwd-20d"]
    assert left["requests"] == ["open", "rejected", "unverified"]
    assert left["audit"] == ["3"]  # the audit trail went with its requests
    assert left["sessions"] == ["c" * 64]
    again = app.test_cli_runner().invoke(args=["purge"])
    assert "total: 0 removed" in again.output


@time_machine.travel(NOW, tick=False)
def test_purge_progress_goes_to_stderr_and_each_result_is_one_line(app: Flask) -> None:
    _fill(app)
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # Without a terminal the bar prints its label alone; that stays off stdout.
    assert all(re.fullmatch(r".+: \d+ removed", line) for line in lines), lines
    names = [line.rpartition(":")[0] for line in lines]
    assert len(set(names)) == len(names)  # one per purger, then the total
    assert result.stdout.endswith("total: 8 removed\n")


def test_purge_refuses_a_batch_of_nothing(app: Flask) -> None:
    refused = app.test_cli_runner().invoke(args=["purge", "--batch", "0"])
    assert refused.exit_code == 2
    assert "--batch" in refused.output


def test_a_day_later_more_is_due(app: Flask) -> None:
    with time_machine.travel(NOW, tick=False):
        _fill(app)
        app.test_cli_runner().invoke(args=["purge"])
    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    counts = _counts(result.output)
    assert counts["delivered outbox events"] == 0  # sent-6d is 6 days 23 hours old
    assert counts["dead-lettered outbox events"] == 0  # dead-29d is 29 days 23 hours old
    with time_machine.travel(NOW + timedelta(days=1, hours=1), tick=False):
        result = app.test_cli_runner().invoke(args=["purge"])
    counts = _counts(result.output)
    assert counts["delivered outbox events"] == 1
    assert counts["dead-lettered outbox events"] == 1
    assert counts["expired staff sessions"] == 1


def test_retention_periods_are_settings(app_factory: AppFactory) -> None:
    app = app_factory(
        OUTBOX_RETENTION=1,
        DEAD_LETTER_RETENTION="10d",
        FORWARDED_RETENTION=365,
        REQUEST_RETENTION=365,
    )
    with time_machine.travel(NOW, tick=False):
        _fill(app)
        result = app.test_cli_runner().invoke(args=["purge", "--dry-run"])
    assert _counts(result.output) == {
        "consent records": 0,
        "undeliverable mail": 0,
        "delivered outbox events": 3,
        "dead-lettered outbox events": 2,
        "forwarded request records": 0,
        "contact requests": 3,
        "expired staff sessions": 2,
        "daily traffic figures": 0,
        "counts of request mails per address": 0,
    }
