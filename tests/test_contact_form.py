"""The /contact form end to end: real page, real CSRF token, real mail files."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.contact.models import AuditEntry, ContactRequest, LinkMail, RequestMessage
from gateway.extensions import db
from tests.conftest import AppFactory
from tests.contact_support import (
    HTTPS,
    browser_like_client,
    confirm,
    hidden_inputs,
    html_of,
    link_in,
    read_mails,
    submit_contact,
    text_of,
)


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    return app_factory(CONTACT_MIN_FILL_SECONDS=0)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return browser_like_client(app)


def _requests(app: Flask) -> list[ContactRequest]:
    with app.app_context():
        return list(db.session.scalars(sa.select(ContactRequest).order_by(ContactRequest.id)))


def test_form_in_both_languages(client: FlaskClient) -> None:
    ru = client.get("/contact?lang=ru").get_data(as_text=True)
    en = client.get("/contact?lang=en").get_data(as_text=True)
    assert '<html lang="ru">' in ru
    assert "Электронная почта" in ru
    assert "Возврат средств" in ru
    assert '<html lang="en">' in en
    assert "E-mail" in en
    assert "Withdraw consent" in en
    for html in (ru, en):
        for name in (
            "email",
            "name",
            "request_type",
            "message",
            "contract_number",
            "service_date",
            "consent_id",
            "csrf_token",
            "started",
            "website",
        ):
            assert f'name="{name}"' in html, name
    accept_ru = client.get("/contact", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Связаться с нами" in accept_ru.get_data(as_text=True)


def test_whole_flow_question(app: Flask, client: FlaskClient) -> None:
    response = submit_contact(
        client,
        email="ivan@example.ru",
        name="Иван",
        request_type="access",
        message="Пришлите копию моих данных",
    )
    assert response.status_code == 303
    # The page after sending names no request and opens none: whoever typed the
    # address has not shown the mailbox is theirs.
    assert response.headers["Location"].startswith("/contact/sent")
    sent_page = client.get(response.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert "Check your e-mail" in sent_page
    assert "ivan@example.ru" not in sent_page
    assert "/contact/status/" not in sent_page
    assert "/contact/verify/" not in sent_page
    [stored] = _requests(app)
    assert stored.status == "unverified"
    assert stored.due_date is None
    assert stored.email == "ivan@example.ru"
    assert stored.name == "Иван"

    [mail] = read_mails(app)
    assert mail["To"] == "ivan@example.ru"
    assert mail["From"].addresses[0].addr_spec == app.config["CONTACT_EMAIL"]
    assert mail["From"].addresses[0].display_name == "HotTelecom"
    assert f"#{stored.id}" in mail["Subject"]
    assert mail.get_body(preferencelist=("html",)) is not None
    verify_path = link_in(mail, "/contact/verify/")
    assert verify_path in html_of(mail).replace("&amp;", "&")
    assert text_of(mail).startswith("Dear Иван,")

    # Opening the link (a person, or a mail scanner: GET and HEAD) confirms nothing.
    assert client.head(verify_path, base_url=HTTPS).status_code == 200
    opened = client.get(verify_path, base_url=HTTPS)
    assert opened.status_code == 200
    assert "Confirm the request" in opened.get_data(as_text=True)
    assert _requests(app)[0].status == "unverified"
    assert len(read_mails(app)) == 1

    first = confirm(client, verify_path)
    assert first.status_code == 303
    status_page = client.get(first.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    [stored] = _requests(app)
    assert stored.status == "open"
    assert stored.due_date is not None
    assert stored.due_date.isoformat() in status_page
    assert "Your address is confirmed" in status_page
    assert 'data-status="open"' in status_page
    # The requester is told of the status change, with the status link.
    mails = read_mails(app)
    assert len(mails) == 2
    assert "open" in mails[1]["Subject"]
    assert "/contact/status/" in text_of(mails[1])

    # The link is single-use: it neither confirms again nor opens the status page.
    second = client.get(verify_path, base_url=HTTPS)
    assert second.status_code == 200
    again = second.get_data(as_text=True)
    assert "already confirmed" in again
    assert "/contact/status/" not in again
    replay = client.post(
        verify_path, data=hidden_inputs(opened.get_data(as_text=True)), base_url=HTTPS
    )
    assert replay.status_code == 200
    assert "/contact/status/" not in replay.get_data(as_text=True)
    with app.app_context():
        verified = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "verified")
        ).all()
    assert len(verified) == 1
    assert len(read_mails(app)) == 2


def test_verification_needs_the_post_with_its_csrf_token(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="scan@example.com")
    verify_path = link_in(read_mails(app)[0], "/contact/verify/")
    forged = client.post(verify_path, data={}, base_url=HTTPS)
    assert forged.status_code == 400
    assert _requests(app)[0].status == "unverified"


def test_russian_requester_gets_russian_mail_and_pages(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, lang="ru", email="olga@example.ru", request_type="erase", message="")
    [mail] = read_mails(app)
    assert "Подтвердите запрос" in mail["Subject"]
    assert "Здравствуйте" in text_of(mail)
    confirmed = confirm(client, link_in(mail, "/contact/verify/"))
    page = client.get(confirmed.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert "Адрес подтверждён" in page
    assert "Удалить мои данные" in page
    assert "открыт" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter an e-mail address"),
        ({"request_type": "hack"}, "request_type", "Choose a request type."),
        ({"request_type": "question", "message": "  "}, "message", "Please describe"),
        ({"request_type": "refund", "contract_number": ""}, "contract_number", "required"),
        (
            {"request_type": "refund", "contract_number": "A-1", "service_date": "31.12.2025"},
            "service_date",
            "YYYY-MM-DD",
        ),
        (
            {"request_type": "refund", "contract_number": "A-1", "service_date": "2999-01-01"},
            "service_date",
            "cannot be later than today",
        ),
        (
            {"request_type": "withdraw-consent", "consent_id": "<script>"},
            "consent_id",
            "16 letters and digits",
        ),
        (
            {"request_type": "withdraw-consent", "consent_id": "hello"},
            "consent_id",
            "16 letters and digits",
        ),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
    ],
)
def test_invalid_input_shows_errors_beside_fields_and_keeps_input(
    app: Flask, client: FlaskClient, fields: dict[str, str], field: str, message: str
) -> None:
    data = {"email": "keep@example.com", "name": "Keep Me", "message": "typed text", **fields}
    response = submit_contact(client, **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', html)
    assert error
    assert message in error.group(1)
    assert re.search(
        rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', html
    )
    if "email" not in fields:
        assert 'value="keep@example.com"' in html
    if "message" not in fields:
        assert "typed text</textarea>" in html
    assert _requests(app) == []
    assert read_mails(app) == []


def test_missing_csrf_token_keeps_what_was_typed(app: Flask, client: FlaskClient) -> None:
    page = client.get("/contact?lang=en").get_data(as_text=True)
    data = hidden_inputs(page)
    data.pop("csrf_token")
    data.update(email="a@example.com", request_type="question", message="my long question")
    response = client.post("/contact?lang=en", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The form had expired" in html
    assert "my long question</textarea>" in html
    assert 'value="a@example.com"' in html
    assert _requests(app) == []
    # The re-rendered form carries a fresh token that works.
    retry = hidden_inputs(html)
    retry.update(email="a@example.com", request_type="question", message="my long question")
    assert client.post("/contact?lang=en", data=retry).status_code == 303


def test_stale_csrf_token_gives_a_friendly_400(app: Flask, client: FlaskClient) -> None:
    page = client.get("/contact?lang=ru").get_data(as_text=True)
    data = hidden_inputs(page)
    data.update(email="a@example.com", request_type="question", message="q")
    stale = timedelta(seconds=app.config["WTF_CSRF_TIME_LIMIT"] + 60)
    with time_machine.travel(datetime.now(UTC) + stale):
        response = client.post("/contact?lang=ru", data=data)
    assert response.status_code == 400
    assert "Срок действия формы истёк" in response.get_data(as_text=True)


def test_stale_answer_form_keeps_the_answer(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="a@example.com")
    [mail] = read_mails(app)
    status_path = confirm(client, link_in(mail, "/contact/verify/")).headers["Location"]
    response = client.post(status_path, data={"body": "my long answer"}, base_url=HTTPS)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The form had expired" in page
    assert "my long answer</textarea>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RequestMessage)) == 0


def test_honeypot_stores_nothing_but_looks_normal(app: Flask, client: FlaskClient) -> None:
    response = submit_contact(client, email="bot@example.com", website="http://spam.example")
    assert response.status_code == 303
    assert response.headers["Location"] == "/contact/sent?lang=en"
    assert _requests(app) == []
    assert read_mails(app) == []


def test_form_sent_too_fast_is_asked_again(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=3)
    client = browser_like_client(app)
    response = submit_contact(client, email="quick@example.com", message="fast typist")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "sent very quickly" in html
    assert "fast typist</textarea>" in html
    assert _requests(app) == []
    # A person who took their time gets through (the stamp is signed, so it cannot be faked).
    data = hidden_inputs(client.get("/contact?lang=en").get_data(as_text=True))
    data.update(email="slow@example.com", request_type="question", message="took my time")
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5)):
        assert client.post("/contact?lang=en", data=data).status_code == 303
    data["started"] = "forged"
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5)):
        assert client.post("/contact?lang=en", data=data).status_code == 400


def test_form_is_rate_limited_per_client(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, RATELIMIT_ENABLED=True)
    client = browser_like_client(app)
    # Mistakes do not use up the limit of accepted requests...
    mistakes = [submit_contact(client, email="not-an-address").status_code for _ in range(6)]
    assert mistakes == [400] * 6
    codes = [submit_contact(client, email=f"r{i}@example.com").status_code for i in range(6)]
    assert codes[:5] == [303] * 5
    assert codes[5] == 429
    # ...and floods of anything stop at 30 a minute.
    flood = [submit_contact(client, email="x").status_code for _ in range(25)]
    assert flood[-1] == 429
    # Reading the form is not limited.
    assert client.get("/contact").status_code == 200


def test_refund_inside_and_outside_the_window(app: Flask, client: FlaskClient) -> None:
    # Tuesday 30 Dec 2025: the window runs through Tuesday 13 January 2026 (holidays between).
    with time_machine.travel(datetime(2026, 1, 13, 12, 0, tzinfo=UTC), tick=False):
        inside = submit_contact(
            client,
            email="r@example.ru",
            request_type="refund",
            contract_number="HT-1",
            service_date="2025-12-30",
            message="",
        )
        page = client.get(inside.headers["Location"], base_url=HTTPS).get_data(as_text=True)
        verify_path = link_in(read_mails(app)[0], "/contact/verify/")
        status = client.get(confirm(client, verify_path).headers["Location"], base_url=HTTPS)
    assert 'data-refund-window="within"' in page
    assert "within the refund window" in page
    with time_machine.travel(datetime(2026, 1, 14, 12, 0, tzinfo=UTC), tick=False):
        outside = submit_contact(
            client,
            lang="ru",
            email="r@example.ru",
            request_type="refund",
            contract_number="HT-1",
            service_date="2025-12-30",
            message="",
        )
        page = client.get(outside.headers["Location"], base_url=HTTPS).get_data(as_text=True)
    assert 'data-refund-window="outside"' in page
    assert "за пределами срока возврата" in page
    first, second = _requests(app)
    assert first.refund_in_window is True
    assert second.refund_in_window is False
    # The status page says it too, in the chosen language.
    assert "within the refund window" in status.get_data(as_text=True)


def test_due_date_on_a_frozen_clock_over_the_new_year(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, REQUEST_DEADLINE="152fz")
    client = browser_like_client(app)
    # Friday 26 Dec 2025, 23:30 in Moscow (20:30 UTC): received on the 26th.
    with time_machine.travel(datetime(2025, 12, 26, 20, 30, tzinfo=UTC), tick=False):
        submit_contact(client, email="ny@example.ru", request_type="access")
        confirm(client, link_in(read_mails(app)[0], "/contact/verify/"))
    [stored] = _requests(app)
    assert stored.due_date is not None
    assert stored.due_date.isoformat() == "2026-01-21"


def test_due_date_30_days(app: Flask, client: FlaskClient) -> None:
    with time_machine.travel(datetime(2025, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        submit_contact(client, email="d@example.ru", request_type="erase")
        confirm(client, link_in(read_mails(app)[0], "/contact/verify/"))
    [stored] = _requests(app)
    # 9 Jan 2026 is a day off: the term ends on Monday 12 January.
    assert stored.due_date is not None
    assert stored.due_date.isoformat() == "2026-01-12"


def test_verification_link_expires_after_seven_days(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="late@example.com")
    path = link_in(read_mails(app)[0], "/contact/verify/")
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        response = client.get(path, base_url=HTTPS)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _requests(app)[0].status == "unverified"


@pytest.mark.parametrize(
    "path", ["/contact/verify/garbage", "/contact/status/garbage", "/contact/data/x.y.z.json"]
)
def test_bad_links_are_clear_errors(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_status_token_cannot_verify(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="x@example.com")
    verify_path = link_in(read_mails(app)[0], "/contact/verify/")
    status_path = confirm(client, verify_path).headers["Location"]
    token = status_path.split("/contact/status/")[1].split("?")[0]
    assert client.get(f"/contact/verify/{token}").status_code == 400
    verify_token = verify_path.split("/contact/verify/")[1].split("?")[0]
    assert client.get(f"/contact/status/{verify_token}").status_code == 400


def test_status_link_expires_and_a_fresh_one_comes_by_mail(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="old@example.com", message="my private question")
    status_path = confirm(client, link_in(read_mails(app)[0], "/contact/verify/")).headers[
        "Location"
    ]
    days = app.config["STATUS_LINK_DAYS"]
    with time_machine.travel(datetime.now(UTC) + timedelta(days=days, minutes=1)):
        expired = client.get(status_path, base_url=HTTPS)
        html = expired.get_data(as_text=True)
        assert expired.status_code == 410
        assert "expired" in html
        assert "my private question" not in html
        form = re.search(r'<form method="post" action="([^"]+)"', html)
        assert form
        renewed = client.post(
            form.group(1).replace("&amp;", "&"), data=hidden_inputs(html), base_url=HTTPS
        )
        assert renewed.status_code == 200
        assert "my private question" not in renewed.get_data(as_text=True)
        mails = read_mails(app)
        assert mails[-1]["To"] == "old@example.com"
        assert "fresh link" in mails[-1]["Subject"]
        fresh = client.get(link_in(mails[-1], "/contact/status/"), base_url=HTTPS)
        assert fresh.status_code == 200
        assert 'data-status="open"' in fresh.get_data(as_text=True)


def test_verification_mails_per_address_are_capped(app_factory: AppFactory) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, VERIFY_MAILS_PER_DAY=2)
    client = browser_like_client(app)
    pages = [submit_contact(client, email="Victim@Example.com") for _ in range(4)]
    assert [p.status_code for p in pages] == [303] * 4
    # Same page every time: the sender learns nothing about the address...
    assert len({p.headers["Location"] for p in pages}) == 1
    # ...and the mailbox gets two mails, not four (the address's case does not matter).
    assert len(read_mails(app)) == 2
    other = submit_contact(client, email="someone@example.com")
    assert other.status_code == 303
    assert len(read_mails(app)) == 3
    with app.app_context():
        digests = db.session.scalars(sa.select(LinkMail.recipient_digest)).all()
    assert len(digests) == 3
    assert not any("example.com" in d for d in digests)  # the address is never kept in clear
    with time_machine.travel(datetime.now(UTC) + timedelta(days=1, minutes=1)):
        purged = app.test_cli_runner().invoke(args=["purge"])
        assert "counts of request mails per address" in purged.output
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(LinkMail)) == 0
        submit_contact(client, email="victim@example.com")
    assert len(read_mails(app)) == 4


def test_requester_answers_on_the_status_page(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="ans@example.com")
    status = confirm(client, link_in(read_mails(app)[0], "/contact/verify/"))
    status_path = status.headers["Location"]
    page = client.get(status_path, base_url=HTTPS).get_data(as_text=True)
    empty = client.post(
        status_path,
        data={"csrf_token": hidden_inputs(page)["csrf_token"], "body": "  "},
        base_url=HTTPS,
    )
    assert empty.status_code == 400
    assert "This field is required." in empty.get_data(as_text=True)
    answered = client.post(
        status_path,
        data={"csrf_token": hidden_inputs(page)["csrf_token"], "body": "Here is my contract"},
        base_url=HTTPS,
        follow_redirects=True,
    )
    assert "Here is my contract" in answered.get_data(as_text=True)
    assert "Your answer was sent." in answered.get_data(as_text=True)


def test_control_characters_never_reach_the_database(app: Flask, client: FlaskClient) -> None:
    """NUL would make PostgreSQL fail the insert: it is dropped, and the rest is kept."""
    nul = submit_contact(client, email="\x00@example.com")
    assert nul.status_code == 400
    response = submit_contact(
        client, email="n@example.com", name="Ni\x00na", message="line one\x00\nline two\x07"
    )
    assert response.status_code == 303
    [stored] = _requests(app)
    assert stored.name == "Nina"
    assert stored.message == "line one\nline two"
    mails = read_mails(app)
    status_path = confirm(client, link_in(mails[0], "/contact/verify/")).headers["Location"]
    page = client.get(status_path, base_url=HTTPS).get_data(as_text=True)
    only_nul = client.post(
        status_path,
        data={"csrf_token": hidden_inputs(page)["csrf_token"], "body": "\x00"},
        base_url=HTTPS,
    )
    assert only_nul.status_code == 400


def test_consent_id_from_the_banner_fills_the_form(client: FlaskClient) -> None:
    html = client.get("/contact?lang=en&consent_id=7f3c-91aa").get_data(as_text=True)
    assert 'value="7f3c-91aa"' in html
    assert '<option selected value="withdraw-consent">' in html or (
        'value="withdraw-consent" selected' in html
    )
    quoted = client.get('/contact?consent_id="><script>').get_data(as_text=True)
    assert '"><script>' not in quoted


@pytest.mark.parametrize(
    "typed",
    ["R6C7RBAT43ZRRLCL", "r6c7-rbat-43zr-rlcl", " R6C7 RBAT 43ZR RLCL ", "r6c7rbat43zrrlcl"],
)
def test_consent_id_in_any_case_with_or_without_dashes(
    app: Flask, client: FlaskClient, typed: str
) -> None:
    response = submit_contact(
        client, email="w@example.com", request_type="withdraw-consent", consent_id=typed
    )
    assert response.status_code == 303
    [stored] = _requests(app)
    assert stored.consent_id == "r6c7-rbat-43zr-rlcl"


def test_lost_links_are_mailed_to_the_address_only(app: Flask, client: FlaskClient) -> None:
    submit_contact(client, email="Lost@Example.com", message="first")
    submit_contact(client, email="lost@example.com", message="second, never confirmed")
    confirm(client, link_in(read_mails(app)[0], "/contact/verify/"))
    before = len(read_mails(app))
    page = client.get("/contact/links?lang=en", base_url=HTTPS).get_data(as_text=True)
    assert "Lost the e-mail" in page
    bad = client.post(
        "/contact/links?lang=en",
        data={"csrf_token": hidden_inputs(page)["csrf_token"], "email": "nope"},
        base_url=HTTPS,
    )
    assert bad.status_code == 400
    assert 'value="nope"' in bad.get_data(as_text=True)
    answers = []
    for email in ("lost@example.com", "nobody@example.com"):
        response = client.post(
            "/contact/links?lang=en",
            data={"csrf_token": hidden_inputs(page)["csrf_token"], "email": email},
            base_url=HTTPS,
        )
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "/contact/status/" not in html
        answers.append(html)
    # Whoever asks learns nothing: the same answer for an address with requests or without.
    assert answers[0] == answers[1]
    mails = read_mails(app)[before:]
    assert len(mails) == 1
    assert mails[0]["To"] == "Lost@Example.com"
    # Only the confirmed request: the unconfirmed one proves nothing about the mailbox.
    text = text_of(mails[0])
    assert text.count("/contact/status/") == 1
    status = client.get(link_in(mails[0], "/contact/status/"), base_url=HTTPS)
    assert status.status_code == 200
    assert 'data-status="open"' in status.get_data(as_text=True)
