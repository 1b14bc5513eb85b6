"""Requests fulfilled as the law means it: access delivered to the requester, erasure
done before it is called done, deadlines told with their rule."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.contact.models import AuditEntry, ContactRequest
from gateway.extensions import db
from tests.conftest import AppFactory
from tests.consent_helpers import decide
from tests.contact_support import (
    HTTPS,
    browser_like_client,
    link_in,
    login,
    make_user,
    post_action,
    read_mails,
    text_of,
)
from tests.test_contact_admin import new_request

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


def _audit(app: Flask, request_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.request_id == request_id).order_by(AuditEntry.id)
        )
        return [(e.actor, e.action, e.detail) for e in entries]


def _download_links(page: str) -> dict[str, str]:
    return {
        fmt: href.replace("&amp;", "&")
        for href, fmt in re.findall(r'href="(/contact/data/[^"]+\.(json|csv))"', page)
    }


def test_completing_an_access_request_delivers_the_data(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    api = app.test_client()
    mine = decide(api, {"analytics": True}).get_json()
    someone_elses = decide(api, {"analytics": True, "marketing": True}).get_json()
    new_request(
        app,
        public,
        email="anna@example.ru",
        request_type="withdraw-consent",
        consent_id=mine["consent_id"],
        message="",
    )
    # A stranger typed Anna's address and someone else's id, never confirming.
    new_request(
        app,
        public,
        verify=False,
        email="anna@example.ru",
        request_type="withdraw-consent",
        consent_id=someone_elses["consent_id"],
        message="",
    )
    access = new_request(
        app,
        public,
        email="anna@example.ru",
        request_type="access",
        message="Мои данные, пожалуйста",
    )
    mails = [m for m in read_mails(app) if m["To"] == "anna@example.ru"]
    status_path = link_in(mails[-1], "/contact/status/")
    before = public.get(status_path, base_url=HTTPS).get_data(as_text=True)
    assert _download_links(before) == {}

    with app.app_context():
        staff_id = db.session.scalar(sa.text("SELECT id FROM users"))
    post_action(staff, access, "assign", assignee_id=str(staff_id))
    done = post_action(staff, access, "complete", text="Your data is ready.")
    assert done.status_code == 303
    assert "can download their data" in staff.get(
        f"/admin/requests/{access}", base_url=HTTPS
    ).get_data(as_text=True)
    mail = read_mails(app)[-1]
    assert mail["To"] == "anna@example.ru"
    until = app.config["DATA_LINK_DAYS"]
    assert "Your data is ready: download it from the status page until" in text_of(mail)
    assert "(JSON and CSV)" in text_of(mail)
    assert until == 14

    page = public.get(link_in(mail, "/contact/status/"), base_url=HTTPS).get_data(as_text=True)
    links = _download_links(page)
    assert set(links) == {"json", "csv"}
    assert public.head(links["json"], base_url=HTTPS).status_code == 200
    as_json = public.get(links["json"], base_url=HTTPS)
    assert as_json.status_code == 200
    assert as_json.headers["Content-Disposition"].startswith("attachment;")
    assert as_json.headers["Cache-Control"] == "no-store"
    document = json.loads(as_json.get_data(as_text=True))
    contact = document["sources"]["contact"]
    assert any(r.get("message") == "Мои данные, пожалуйста" for r in contact)
    assert {"kind": "audit", "action": "assigned"}.items() <= next(
        r for r in contact if r.get("action") == "assigned"
    ).items()
    assert STAFF not in json.dumps(document)
    consent_ids = {r["consent_id"] for r in document["sources"]["consent"]}
    assert consent_ids == {mine["consent_id"]}
    # The id named on the unconfirmed request reaches nobody's export.
    assert someone_elses["consent_id"] not in json.dumps(document["sources"]["consent"])
    as_csv = public.get(links["csv"], base_url=HTTPS)
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["source", "record", "field", "value"]
    assert ["consent", "1", "consent_id", mine["consent_id"]] in rows

    # Each download is audited; staff see the count.
    downloads = [d for d in _audit(app, access) if d[1] == "downloaded"]
    assert downloads == [("requester", "downloaded", "json"), ("requester", "downloaded", "csv")]
    card = staff.get(f"/admin/requests/{access}", base_url=HTTPS).get_data(as_text=True)
    assert "downloads: 2" in card

    # The link expires with the download period; so does the offer on the status page.
    later = datetime.now(UTC) + timedelta(days=until, minutes=5)
    with time_machine.travel(later):
        gone = public.get(links["json"], base_url=HTTPS)
        assert gone.status_code == 410
        assert mine["consent_id"] not in gone.get_data(as_text=True)
        fresh = public.get(link_in(mail, "/contact/status/"), base_url=HTTPS)
        assert _download_links(fresh.get_data(as_text=True)) == {}
        assert "The download period ended" in fresh.get_data(as_text=True)


def test_data_links_are_bound_to_their_request(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    access = new_request(app, public, email="a@example.com", request_type="access")
    question = new_request(app, public, email="b@example.com", request_type="question")
    post_action(staff, access, "complete", text="")
    post_action(staff, question, "complete", text="")
    page = public.get(link_in(read_mails(app)[-2], "/contact/status/"), base_url=HTTPS).get_data(
        as_text=True
    )
    links = _download_links(page)
    assert links
    # A forged or cut token, another purpose's token, an unknown format: clear errors.
    token = links["json"].split("/contact/data/")[1].rsplit(".", 1)[0]
    assert public.get(f"/contact/data/{token[:-3]}xyz.json").status_code == 400
    assert public.get(f"/contact/data/{token}.xml").status_code == 404
    status_token = link_in(read_mails(app)[-1], "/contact/status/").split("/")[-1].split("?")[0]
    assert public.get(f"/contact/data/{status_token}.json").status_code == 400
    # A completed question offers no download.
    question_page = public.get(
        link_in(read_mails(app)[-1], "/contact/status/"), base_url=HTTPS
    ).get_data(as_text=True)
    assert _download_links(question_page) == {}


def test_erasure_cannot_be_completed_before_the_data_is_erased(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    erase = new_request(
        app, public, email="del@example.com", request_type="erase", message="delete me"
    )
    card = staff.get(f"/admin/requests/{erase}", base_url=HTTPS).get_data(as_text=True)
    # No plain "Complete" on an erasure request; the erasure is red and confirmed apart.
    assert f"/admin/requests/{erase}/complete" not in card
    assert 'class="danger-zone"' in card
    assert 'class="btn btn-danger"' in card
    assert "Irreversible" in card
    refused = post_action(staff, erase, "complete", text="Done")
    assert refused.status_code == 400
    assert "cannot be marked complete" in refused.get_data(as_text=True)
    with app.app_context():
        stored = db.session.get(ContactRequest, erase)
        assert stored is not None
        assert stored.status == "open"
        assert stored.email == "del@example.com"

    post_action(staff, erase, "reply", text="We are checking, del@example.com")
    assert post_action(staff, erase, "erase", text="", confirm="yes").status_code == 303
    history = _audit(app, erase)
    actions = [a for _actor, a, _detail in history]
    assert actions[:2] == ["submitted", "verified"]
    assert "replied" in actions
    assert actions[-1] == "erased"
    # The history stays, without what the person or staff wrote about them.
    assert "del@example.com" not in json.dumps(history)


def test_staff_card_and_mail_state_the_rule_and_why_the_date_moved(
    app: Flask, public: FlaskClient, staff: FlaskClient
) -> None:
    # Confirmed on 10 December 2025: day 30 is Friday 9 January 2026, a day off.
    with time_machine.travel(datetime(2025, 12, 10, 9, 0, tzinfo=UTC)):
        login(staff, STAFF, PASSWORD)
        request_id = new_request(app, public, email="d@example.com", request_type="access")
        card = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
    assert "12 January 2026" in card
    assert "30 calendar days from receipt of the request (policy §4)" in card
    assert "The 30th day, 9 January 2026, is a day off: Day off (substituted from" in card
    assert "Civil Code art. 193" in card
    opened = read_mails(app)[-1]
    assert "Answer due by 12 January 2026." in text_of(opened)
    assert "Civil Code art. 193" in text_of(opened)


def test_152fz_card_names_the_days_off_not_counted(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REQUEST_DEADLINE="152fz")
    make_user(app, STAFF, PASSWORD)
    public, staff = browser_like_client(app), browser_like_client(app)
    with time_machine.travel(datetime(2025, 12, 26, 9, 0, tzinfo=UTC)):
        login(staff, STAFF, PASSWORD)
        request_id = new_request(app, public, email="n@example.ru", request_type="access")
        card = staff.get(f"/admin/requests/{request_id}", base_url=HTTPS).get_data(as_text=True)
        assert "21 January 2026" in card
        assert "10 working days from receipt of the request (152-FZ art. 20" in card
        assert "Days off are not counted" in card
        assert "New Year Holidays" in card
        post_action(staff, request_id, "extend", text="Большой объём данных")
    mail = read_mails(app)[-1]
    assert "The answer is now due by 28 January 2026. Reason: Большой объём данных" in text_of(mail)
