"""The staff queue: every action, the audit log, export, erasure and retention."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contact.models import AuditEntry, ContactRequest, RequestMessage
from gateway.contact.subject_data import escape_csv_cell
from gateway.extensions import db
from gateway.subject_sources import register_subject_data
from gateway.timeutil import utcnow
from tests.conftest import AppFactory
from tests.contact_support import (
    HTTPS,
    browser_like_client,
    confirm,
    csrf_token,
    link_in,
    login,
    make_user,
    post_action,
    read_mails,
    submit_contact,
    text_of,
)

PASSWORD = "correct horse battery"
STAFF = "staff@hottelecom.example"


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0)
    make_user(app, STAFF, PASSWORD)
    return app


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    client = browser_like_client(app)
    assert login(client, STAFF, PASSWORD).status_code == 303
    return client


@pytest.fixture
def public(app: Flask) -> FlaskClient:
    return browser_like_client(app)


def new_request(app: Flask, public: FlaskClient, verify: bool = True, **fields: Any) -> int:
    """A request sent through the real form (and confirmed through the e-mailed link)."""
    before = len(read_mails(app))
    assert submit_contact(public, **fields).status_code == 303
    mail = read_mails(app)[before]
    if verify:
        assert confirm(public, link_in(mail, "/contact/verify/")).status_code == 303
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.max(ContactRequest.id))) or 0)


def get_request(app: Flask, request_id: int) -> ContactRequest:
    with app.app_context():
        found = db.session.get(ContactRequest, request_id)
        assert found is not None
        _ = found.messages, found.audit
        return found


def status_page(app: Flask, public: FlaskClient, email: str) -> str:
    """The requester's status page, through the link of the latest mail to them."""
    mails = [m for m in read_mails(app) if m["To"] == email]
    path = link_in(mails[-1], "/contact/status/")
    return public.get(path, base_url=HTTPS).get_data(as_text=True)


def test_staff_pages_need_a_login(app: Flask, public: FlaskClient) -> None:
    request_id = new_request(app, public, email="a@example.com")
    for path in (
        "/admin/requests",
        f"/admin/requests/{request_id}",
        f"/admin/requests/{request_id}/export.json",
    ):
        response = public.get(path, base_url=HTTPS)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login")


def test_whole_staff_flow(app: Flask, public: FlaskClient, staff: FlaskClient) -> None:
    request_id = new_request(
        app, public, email="ivan@example.ru", request_type="access", message="Копию, пожалуйста"
    )
    queue = staff.get("/admin/requests", base_url=HTTPS).get_data(as_text=True)
    assert f'data-request-id="{request_id}"' in queue
    assert "ivan@example.ru" in queue

    with app.app_context():
        staff_id = db.session.scalar(sa.text("SELECT id FROM users"))
    assert post_action(staff, request_id, "assign", assignee_id=str(staff_id)).status_code == 303

    replied = post_action(staff, request_id, "reply", text="Мы готовим выгрузку.")
    assert replied.status_code == 303
    assert get_request(app, request_id).status == "in_progress"
    reply_mail = read_mails(app)[-1]
    assert reply_mail["To"] == "ivan@example.ru"
    assert "Мы готовим выгрузку." in text_of(reply_mail)

    post_action(staff, request_id, "ask", text="Укажите номер договора.")
    assert get_request(app, request_id).status == "waiting"
    page = status_page(app, public, "ivan@example.ru")
    assert "Укажите номер договора." in page
    assert "waiting for requester" in page

    # The requester answers on the status page: the request goes back to staff.
    status_path = link_in(read_mails(app)[-1], "/contact/status/")
    public.post(
        status_path,
        data={"csrf_token": csrf_token(page), "body": "Договор HT-42"},
        base_url=HTTPS,
    )
    assert get_request(app, request_id).status == "in_progress"
    assert read_mails(app)[-1]["Subject"] == f"Request #{request_id}: in progress"

    export = staff.get(f"/admin/requests/{request_id}/export.json", base_url=HTTPS)
    assert export.status_code == 200
    assert export.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(export.get_data(as_text=True))
    records = document["sources"]["contact"]
    kinds = [r["kind"] for r in records]
    assert "request" in kinds
    assert "message" in kinds
    assert "audit" in kinds
    assert any(r.get("body") == "Договор HT-42" for r in records)

    completed = post_action(staff, request_id, "complete", text="Выгрузка во вложении.")
    assert completed.status_code == 303
    done = get_request(app, request_id)
    assert done.status == "completed"
    assert done.closed_at is not None
    assert read_mails(app)[-1]["Subject"] == f"Request #{request_id}: completed"

    detail = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
    audit_table = detail.split("Audit log")[1]
    for action in (
        "submitted",
        "verified",
        "assigned",
        "replied",
        "asked",
        "answered",
        "exported",
        "completed",
    ):
        assert f"<td>{action}</td>" in audit_table, action
    assert STAFF in audit_table
    # Closed: no more actions offered, and none accepted.
    assert "Send reply" not in detail
    late = post_action(staff, request_id, "reply", text="one more")
    assert late.status_code == 400
    assert "The request is closed." in late.get_data(as_text=True)


def test_every_status_change_is_mailed_in_the_requester_language(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(app, public, lang="ru", email="o@example.ru", request_type="erase")
    post_action(staff, request_id, "reject", text="Нет данных по этому адресу.")
    mail = read_mails(app)[-1]
    assert mail["Subject"] == f"Запрос №{request_id}: отклонён"
    assert "Причина: Нет данных по этому адресу." in text_of(mail)
    page = status_page(app, public, "o@example.ru")
    assert 'data-status="rejected"' in page
    assert "Нет данных по этому адресу." in page


def test_reject_needs_a_reason_and_keeps_the_draft(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(app, public, email="r@example.com")
    response = post_action(staff, request_id, "reject", text="   ")
    assert response.status_code == 400
    assert "The reason is required." in response.get_data(as_text=True)
    assert get_request(app, request_id).status == "open"
    ask = post_action(staff, request_id, "extend", text="my careful reason")
    assert ask.status_code == 400
    html = ask.get_data(as_text=True)
    assert "cannot be extended" in html
    assert "my careful reason</textarea>" in html


@pytest.mark.parametrize("assignee", ["99999999999999999999", "abc", "999", "-1"])
def test_assigning_to_a_bad_id_is_a_clear_error(
    app: Flask, public: FlaskClient, staff: FlaskClient, assignee: str
) -> None:
    request_id = new_request(app, public, email="a@example.com")
    response = post_action(staff, request_id, "assign", assignee_id=assignee)
    assert response.status_code == 400
    assert "Choose an active staff member." in response.get_data(as_text=True)


def test_stale_action_form_keeps_the_text(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(app, public, email="s@example.com")
    response = staff.post(
        f"/admin/requests/{request_id}/reply",
        data={"csrf_token": "stale", "text": "a long careful reply"},
        base_url=HTTPS,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form had expired; nothing was done." in html
    assert "a long careful reply</textarea>" in html
    assert get_request(app, request_id).messages == []


def test_unverified_requests_take_no_actions(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(app, public, verify=False, email="u@example.com")
    response = post_action(staff, request_id, "reply", text="hello")
    assert response.status_code == 400
    assert "has not confirmed" in response.get_data(as_text=True)
    assert get_request(app, request_id).messages == []


def test_extend_once_under_152fz(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REQUEST_DEADLINE="152fz")
    make_user(app, STAFF, PASSWORD)
    public = browser_like_client(app)
    staff = browser_like_client(app)
    with time_machine.travel(datetime(2025, 12, 26, 9, 0, tzinfo=UTC)):
        login(staff, STAFF, PASSWORD)
        request_id = new_request(app, public, email="e@example.ru", request_type="access")
        assert get_request(app, request_id).due_date == date(2026, 1, 21)
        first = post_action(staff, request_id, "extend", text="Большой объём данных")
        assert first.status_code == 303
        extended = get_request(app, request_id)
        assert extended.due_date == date(2026, 1, 28)
        assert extended.extended
        mail = read_mails(app)[-1]
        assert "Большой объём данных" in text_of(mail)
        assert "The answer is now due by 28 January 2026" in text_of(mail)
        second = post_action(staff, request_id, "extend", text="again")
        assert second.status_code == 400
        assert "already extended once" in second.get_data(as_text=True)
        assert get_request(app, request_id).due_date == date(2026, 1, 28)
        page = status_page(app, public, "e@example.ru")
        assert "2026-01-28" in page
        assert "Большой объём данных" in page


def _stored(app: Flask, **fields: Any) -> int:
    defaults: dict[str, Any] = {
        "email": "q@example.com",
        "request_type": "question",
        "status": "open",
        "created_at": utcnow(),
        "verified_at": utcnow(),
    }
    defaults.update(fields)
    with app.app_context(), db.transaction() as session:
        row = ContactRequest(**defaults)
        session.add(row)
        session.flush()
        return row.id


def _queue_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-request-id="(\d+)"', html)]


def test_queue_sorted_by_due_date_with_overdue_marked(app: Flask, staff: FlaskClient) -> None:
    with time_machine.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), tick=False):
        # Signed cookies from the future are refused: sign in on the frozen clock.
        login(staff, STAFF, PASSWORD)
        later = _stored(app, due_date=date(2026, 3, 20), request_type="erase")
        overdue = _stored(app, due_date=date(2026, 3, 9))
        today = _stored(app, due_date=date(2026, 3, 10), status="waiting")
        _closed = _stored(app, due_date=date(2026, 3, 1), status="completed", closed_at=utcnow())
        _unverified = _stored(app, status="unverified", verified_at=None)
        html = staff.get("/admin/requests", base_url=HTTPS).get_data(as_text=True)
        assert _queue_ids(html) == [overdue, today, later]
        marked = re.findall(r'<tr class="overdue" data-request-id="(\d+)"', html)
        assert marked == [str(overdue)]
        erase_only = staff.get("/admin/requests?type=erase", base_url=HTTPS)
        assert _queue_ids(erase_only.get_data(as_text=True)) == [later]
        waiting = staff.get("/admin/requests?status=waiting", base_url=HTTPS)
        assert _queue_ids(waiting.get_data(as_text=True)) == [today]
        everything = staff.get("/admin/requests?status=all", base_url=HTTPS)
        assert len(_queue_ids(everything.get_data(as_text=True))) == 5
        junk = staff.get("/admin/requests?status=%00&type=zz", base_url=HTTPS)
        assert junk.status_code == 200


FORMULAS = ['=HYPERLINK("http://evil")', "+1+2", "-3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("value", FORMULAS)
def test_csv_cells_that_look_like_formulas_are_escaped(value: str) -> None:
    assert escape_csv_cell(value) == "'" + value
    assert escape_csv_cell("plain") == "plain"


def test_export_csv_escapes_what_the_requester_typed(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(
        app,
        public,
        email="x@example.com",
        request_type="access",
        name="=cmd|' /C calc'!A0",
        message="@SUM(1+1)",
    )
    response = staff.get(f"/admin/requests/{request_id}/export.csv", base_url=HTTPS)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["source", "record", "field", "value"]
    values = {(r[0], r[2]): r[3] for r in rows[1:] if r[2] in ("name", "message", "email")}
    assert values[("contact", "name")] == "'=cmd|' /C calc'!A0"
    assert values[("contact", "message")] == "'@SUM(1+1)"
    assert values[("contact", "email")] == "x@example.com"
    for row in rows[1:]:
        assert not row[3].startswith(("=", "+", "-", "@", "\t", "\r")), row
    # JSON keeps the values as they were typed.
    data = staff.get(f"/admin/requests/{request_id}/export.json", base_url=HTTPS).get_json()
    assert data["sources"]["contact"][0]["name"] == "=cmd|' /C calc'!A0"


def test_export_only_for_access_and_erasure(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(app, public, email="q@example.com", request_type="question")
    assert staff.get(f"/admin/requests/{request_id}/export.json", base_url=HTTPS).status_code == 404
    assert staff.get(f"/admin/requests/{request_id}/export.xml", base_url=HTTPS).status_code == 404


class FakeConsentStore:
    """A face whose records are keyed by consent id (the real consent face is tested too)."""

    def __init__(self) -> None:
        self.records = {
            "abcd-efgh-ijkl-mnop": {"consent_id": "abcd-efgh-ijkl-mnop", "choices": "a=false"},
            "zzzz-zzzz-zzzz-zzzz": {"consent_id": "zzzz-zzzz-zzzz-zzzz", "choices": "a=true"},
        }
        self.asked: list[Sequence[str]] = []

    def export(
        self, _session: Any, _email: str, consent_ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        self.asked.append(list(consent_ids))
        return [self.records[c] for c in consent_ids if c in self.records]

    def erase(self, _session: Any, _email: str, consent_ids: Sequence[str]) -> int:
        gone = [c for c in consent_ids if c in self.records]
        for consent_id in gone:
            del self.records[consent_id]
        return len(gone)


def test_other_faces_plug_their_data_into_export_and_erasure(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    consent = FakeConsentStore()
    register_subject_data(app, "keyed-by-consent", export=consent.export, erase=consent.erase)
    with pytest.raises(ValueError, match="twice"):
        register_subject_data(app, "keyed-by-consent", export=consent.export, erase=consent.erase)
    new_request(
        app,
        public,
        email="s@example.com",
        request_type="withdraw-consent",
        consent_id="ABCDEFGHIJKLMNOP",
        message="",
    )
    # Someone typing this address and another person's consent id, never confirming
    # the mailbox: that id must not reach this person's export or erasure.
    new_request(
        app,
        public,
        verify=False,
        email="s@example.com",
        request_type="withdraw-consent",
        consent_id="zzzz-zzzz-zzzz-zzzz",
        message="",
    )
    erase_id = new_request(app, public, email="s@example.com", request_type="erase", message="")
    data = staff.get(f"/admin/requests/{erase_id}/export.json", base_url=HTTPS).get_json()
    assert data["sources"]["keyed-by-consent"] == [
        {"consent_id": "abcd-efgh-ijkl-mnop", "choices": "a=false"}
    ]
    assert consent.asked[-1] == ["abcd-efgh-ijkl-mnop"]

    response = post_action(staff, erase_id, "erase", text="Готово", confirm="yes")
    assert response.status_code == 303
    assert list(consent.records) == ["zzzz-zzzz-zzzz-zzzz"]


def test_erasure_keeps_only_the_proof(app: Flask, public: FlaskClient, staff: FlaskClient) -> None:
    other_id = new_request(
        app,
        public,
        email="Gone@example.com",
        request_type="question",
        message="my secret question",
        name="Anna",
    )
    post_action(staff, other_id, "reply", text="an answer about Anna")
    erase_id = new_request(
        app,
        public,
        email="gone@example.com",
        request_type="erase",
        name="Anna",
        message="delete all",
    )
    unrelated = new_request(app, public, email="stay@example.com", message="keep me")

    refused = post_action(staff, erase_id, "erase", text="")
    assert refused.status_code == 400
    assert "confirm" in refused.get_data(as_text=True)

    done = post_action(staff, erase_id, "erase", text="Удалено", confirm="yes")
    assert done.status_code == 303
    # The requester was told before their address went.
    last = read_mails(app)[-1]
    assert last["To"] == "gone@example.com"
    assert "completed" in last["Subject"]

    with app.app_context():
        assert db.session.get(ContactRequest, other_id) is None
        proof = db.session.get(ContactRequest, erase_id)
        assert proof is not None
        assert (proof.email, proof.name, proof.message) == ("", "", "")
        assert proof.status == "completed"
        assert proof.erased_at is not None
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.request_id == erase_id)
        ).all()
        # The history of what was done stays, without the person's words.
        assert [(e.action, e.actor) for e in entries] == [
            ("submitted", "requester"),
            ("verified", "requester"),
            ("erased", STAFF),
        ]
        # The other request (its row, 1 reply, 4 audit entries).
        assert entries[-1].detail == "consent: 0, contact: 6"
        history = " ".join(e.detail for e in db.session.scalars(sa.select(AuditEntry)))
        assert "Anna" not in history
        assert "Удалено" not in history
        assert "gone@example.com" not in history.lower()
        assert (
            db.session.scalars(
                sa.select(RequestMessage).where(RequestMessage.request_id == erase_id)
            ).all()
            == []
        )
        everything = " ".join(
            str(v)
            for row in db.session.execute(sa.select(ContactRequest)).scalars()
            for v in (row.email, row.name, row.message)
        )
        assert "Anna" not in everything
        assert "gone@example.com" not in everything.lower()
        assert db.session.get(ContactRequest, unrelated) is not None
    detail = staff.get(f"/admin/requests/{erase_id}", base_url=HTTPS).get_data(as_text=True)
    assert "(erased)" in detail
    assert staff.get(f"/admin/requests/{erase_id}/export.json", base_url=HTTPS).status_code == 410


def test_purge_removes_closed_requests_after_retention(app: Flask) -> None:
    now = utcnow()
    old_closed = _stored(app, status="completed", closed_at=now - timedelta(days=1096))
    recent_closed = _stored(app, status="rejected", closed_at=now - timedelta(days=30))
    old_open = _stored(app, status="open", created_at=now - timedelta(days=2000))
    stale_unverified = _stored(
        app, status="unverified", verified_at=None, created_at=now - timedelta(days=31)
    )
    fresh_unverified = _stored(app, status="unverified", verified_at=None)
    with app.app_context(), db.transaction() as session:
        row = session.get(ContactRequest, old_closed)
        assert row is not None
        row.messages.append(RequestMessage(author="staff", body="old reply"))
    runner = app.test_cli_runner()
    # `gateway purge` runs in an app context (FlaskGroup pushes it); the test runner does not.
    context = app.app_context()
    context.push()
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert re.search(r"contact requests .*: 2 would be removed", dry.output)
    real = runner.invoke(args=["purge"])
    context.pop()
    assert real.exit_code == 0, real.output
    with app.app_context():
        left = set(db.session.scalars(sa.select(ContactRequest.id)))
        assert left == {recent_closed, old_open, fresh_unverified}
        assert stale_unverified not in left
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0


def test_markup_typed_by_anyone_is_shown_as_text(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    request_id = new_request(
        app,
        public,
        email="xss@example.com",
        name="<img src=x onerror=alert(1)>",
        message="<script>alert(1)</script>",
    )
    post_action(staff, request_id, "reply", text="<b>bold?</b>")
    detail = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail
    mail = read_mails(app)[-1]
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "<b>bold?</b>" not in html
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    page = status_page(app, public, "xss@example.com")
    assert "<b>bold?</b>" not in page


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_no_escaped_cell_can_start_a_formula(value: str) -> None:
    cell = escape_csv_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (value, "'" + value)
