"""Outgoing mail: the outbox, .eml files, and SMTP against a local aiosmtpd server."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask import Flask

from gateway.contact.models import ContactRequest
from gateway.extensions import db
from gateway.mail import OutboundMail, parse_smtp_url, queue_mail, retry_delay
from tests.conftest import AppFactory
from tests.contact_support import browser_like_client, read_mails, submit_contact


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def start_smtp(smtp_port: int) -> Iterator[Any]:
    controllers: list[Controller] = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


def _outbox(app: Flask) -> list[OutboundMail]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboundMail)))


def test_smtp_delivery(app_factory: AppFactory, smtp_port: int, start_smtp: Any) -> None:
    inbox = start_smtp()
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    client = browser_like_client(app)
    assert submit_contact(client, email="smtp@example.ru", lang="ru").status_code == 303
    [message] = inbox.messages
    assert inbox.envelopes[0] == ("privacy@hottelecom.example", ["smtp@example.ru"])
    # The display name is encoded; the envelope sender stays the bare address.
    assert message["From"] == "HotTelecom <privacy@hottelecom.example>"
    assert message["To"] == "smtp@example.ru"
    assert message.get_body(preferencelist=("plain",)) is not None
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert "/contact/verify/" in html.get_content()
    assert "Подтвердите" in message["Subject"]
    # Delivered mail leaves the outbox, and no .eml file is written.
    assert _outbox(app) == []
    assert read_mails(app) == []


def test_smtp_down_then_up_loses_nothing(
    app_factory: AppFactory, smtp_port: int, start_smtp: Any
) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    client = browser_like_client(app)
    # Nothing listens on the port: the request is kept, and so is its mail.
    response = submit_contact(client, email="later@example.com", message="still here")
    assert response.status_code == 303
    with app.app_context():
        [stored] = db.session.scalars(sa.select(ContactRequest)).all()
        assert stored.message == "still here"
    [waiting] = _outbox(app)
    assert waiting.attempts == 1
    assert "Connection" in waiting.last_error or "refused" in waiting.last_error.lower()
    assert waiting.next_attempt_at > waiting.created_at

    runner = app.test_cli_runner()
    # Still down: the command says so and keeps the mail.
    down = runner.invoke(args=["mail", "send", "--all"])
    assert down.exit_code == 1
    assert "waiting 1" in down.output
    assert _outbox(app)[0].attempts == 2

    inbox = start_smtp()
    up = runner.invoke(args=["mail", "send", "--all"])
    assert up.exit_code == 0, up.output
    assert "sent 1" in up.output
    assert _outbox(app) == []
    [message] = inbox.messages
    assert message["To"] == "later@example.com"
    assert "/contact/verify/" in message.get_body(preferencelist=("plain",)).get_content()


def test_smtp_down_request_kept_mail_retried_with_backoff_and_sent_once(
    app_factory: AppFactory, smtp_port: int, start_smtp: Any
) -> None:
    """The mail server is down for two tries: the visitor's request and its pages work,
    the retries wait longer each time, and once the server is back the mail goes out
    once, with a verification link that works."""
    import time_machine

    from gateway.timeutil import utcnow
    from tests.contact_support import HTTPS, link_in

    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    client = browser_like_client(app)
    response = submit_contact(client, email="kept@example.com", message="kept while down")
    assert response.status_code == 303
    sent_page = client.get(response.headers["Location"], base_url=HTTPS)
    assert sent_page.status_code == 200
    assert "Check your e-mail" in sent_page.get_data(as_text=True)
    [first] = _outbox(app)
    assert first.attempts == 1
    first_wait = first.next_attempt_at - utcnow()
    assert timedelta(seconds=30) < first_wait <= timedelta(minutes=1)

    runner = app.test_cli_runner()
    # Not due yet: the timer's run leaves it alone (no hammering of a dead server).
    assert "sent 0, failed 0, waiting 1" in runner.invoke(args=["mail", "send"]).output
    with time_machine.travel(first.next_attempt_at + timedelta(seconds=1), tick=False):
        still_down = runner.invoke(args=["mail", "send"])
    assert "sent 0, failed 1, waiting 1" in still_down.output
    [second] = _outbox(app)
    assert second.attempts == 2
    # The next try waits twice as long as the first.
    assert second.next_attempt_at - first.next_attempt_at > timedelta(minutes=1, seconds=50)

    inbox = start_smtp()
    with time_machine.travel(second.next_attempt_at + timedelta(seconds=1), tick=False):
        up = runner.invoke(args=["mail", "send"])
        again = runner.invoke(args=["mail", "send", "--all"])
    assert "sent 1, failed 0, waiting 0" in up.output
    assert "sent 0, failed 0, waiting 0" in again.output
    [message] = inbox.messages
    assert message["To"] == "kept@example.com"
    with app.app_context():
        [stored] = db.session.scalars(sa.select(ContactRequest)).all()
        assert (stored.status, stored.message) == ("unverified", "kept while down")
    from tests.contact_support import confirm

    verified = confirm(client, link_in(message, "/contact/verify/"))
    assert verified.status_code == 303
    status_page = client.get(verified.headers["Location"], base_url=HTTPS)
    assert 'data-status="open"' in status_page.get_data(as_text=True)


def test_mail_not_due_yet_waits_for_its_time(
    app_factory: AppFactory, smtp_port: int, start_smtp: Any
) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    submit_contact(browser_like_client(app), email="w@example.com")
    inbox = start_smtp()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert "sent 0" in result.output
    assert inbox.messages == []
    assert len(_outbox(app)) == 1


def test_eml_files_have_text_and_html(app: Flask) -> None:
    with app.test_request_context(), db.transaction() as session:
        queue_mail(
            session,
            recipient="r@example.com",
            subject="Тема",
            text_body="plain <b>text</b>",
            html_body="<p>html</p>",
        )
    runner = app.test_cli_runner()
    assert "sent 1" in runner.invoke(args=["mail", "send"]).output
    [mail] = read_mails(app)
    assert mail["Subject"] == "Тема"
    assert mail["From"] == f"HotTelecom <{app.config['CONTACT_EMAIL']}>"
    assert mail["Message-ID"]
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == "plain <b>text</b>"
    assert mail.get_body(preferencelist=("html",)).get_content().strip() == "<p>html</p>"


def test_retry_delay_grows_and_is_capped() -> None:
    assert retry_delay(1) == timedelta(minutes=1)
    assert retry_delay(2) == timedelta(minutes=2)
    assert retry_delay(5) == timedelta(minutes=16)
    assert retry_delay(50) == timedelta(hours=1)


def test_smtp_url_parsing() -> None:
    plain = parse_smtp_url("smtp://user%40x:p%3Ass@mail.example:587")
    assert (plain.host, plain.port, plain.username, plain.password) == (
        "mail.example",
        587,
        "user@x",
        "p:ss",
    )
    assert not plain.implicit_tls
    assert parse_smtp_url("smtps://mail.example").port == 465
    with pytest.raises(ValueError, match="smtp://"):
        parse_smtp_url("http://mail.example")


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_starttls_and_login_when_the_server_offers_them(
    app_factory: AppFactory, smtp_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    # The client verifies the certificate: trust our test CA for this test only.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    logins: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password == b"s3cret")

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        app = app_factory(
            CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://mailer:s3cret@127.0.0.1:{smtp_port}"
        )
        assert submit_contact(browser_like_client(app), email="tls@example.com").status_code == 303
    finally:
        controller.stop()
    assert logins == [("mailer", "s3cret")]
    [message] = inbox.messages
    assert message["To"] == "tls@example.com"
    assert _outbox(app) == []


class RefusingInbox(Inbox):
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        return "550 no such mailbox"


def test_a_refused_recipient_is_kept_and_not_logged(
    app_factory: AppFactory, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
        with caplog.at_level("WARNING"):
            response = submit_contact(browser_like_client(app), email="nobody@example.com")
    finally:
        controller.stop()
    assert response.status_code == 303
    [waiting] = _outbox(app)
    assert waiting.last_error == "recipient refused (550)"
    assert "recipient refused (550)" in caplog.text
    assert "nobody@example.com" not in caplog.text


def test_mail_undeliverable_for_a_week_is_purged(app_factory: AppFactory, smtp_port: int) -> None:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, SMTP_URL=f"smtp://127.0.0.1:{smtp_port}")
    submit_contact(browser_like_client(app), email="never@example.com")
    submit_contact(browser_like_client(app), email="recent@example.com")
    with app.app_context(), db.transaction() as session:
        first = session.scalars(sa.select(OutboundMail).order_by(OutboundMail.id)).first()
        assert first is not None
        first.created_at -= timedelta(days=8)
    with app.app_context():
        output = app.test_cli_runner().invoke(args=["purge"]).output
    assert "undeliverable mail (7 days): 1 removed" in output
    assert [m.recipient for m in _outbox(app)] == ["recent@example.com"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactRequest)) == 2


def test_sender_name_greeting_and_dates_in_each_language(app_factory: AppFactory) -> None:
    from tests.contact_support import (
        browser_like_client,
        confirm,
        link_in,
        read_mails,
        submit_contact,
        text_of,
    )

    app = app_factory(CONTACT_MIN_FILL_SECONDS=0, MAIL_SENDER_NAME="ХотТелеком")
    client = browser_like_client(app)
    with time_machine.travel(datetime(2025, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        submit_contact(client, lang="ru", email="olga@example.ru", name="Ольга")
        submit_contact(client, lang="en", email="john@example.com", name="")
        # Written on a frozen clock: the files' order says nothing, the recipient does.
        by_to = {m["To"]: m for m in read_mails(app)}
        ru, en = by_to["olga@example.ru"], by_to["john@example.com"]
        confirm(client, link_in(ru, "/contact/verify/"))
        confirm(client, link_in(en, "/contact/verify/"))
    assert ru["From"].addresses[0].display_name == "ХотТелеком"
    assert "=?utf-8?" in ru.as_string().split("From:")[1].splitlines()[0]
    assert text_of(ru).startswith("Здравствуйте, Ольга!")
    assert text_of(en).startswith("Hello,")
    opened = [m for m in read_mails(app) if "/contact/status/" in text_of(m)]
    ru_open = next(m for m in opened if m["To"] == "olga@example.ru")
    en_open = next(m for m in opened if m["To"] == "john@example.com")
    # 30 days end on Friday 9 January 2026, a day off: moved to Monday 12 January.
    assert "Срок ответа: 12 января 2026." in text_of(ru_open)
    assert "ст. 193 ГК РФ" in text_of(ru_open)
    # The day off is named as the production calendar names it (a transferred day off).
    assert "9 января 2026, — нерабочий: Выходной (перенесено с 03.01.2026)." in text_of(ru_open)
    assert "Answer due by 12 January 2026." in text_of(en_open)
    assert "Civil Code art. 193" in text_of(en_open)
    assert "2026-01-12" not in text_of(en_open)
