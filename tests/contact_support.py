"""Shared pieces of the contact and admin tests: real forms, real mail files."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.admin import auth
from gateway.extensions import db

HTTPS = "https://gateway.example"


def browser_like_client(app: Flask) -> FlaskClient:
    """A test client that sends a same-origin Referer, as browsers do.

    Flask-WTF checks the Referer of HTTPS form posts (WTF_CSRF_SSL_STRICT).
    """
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = HTTPS + "/"
    return client


def hidden_inputs(html: str) -> dict[str, str]:
    """Every hidden input of a page, as the browser would send it."""
    found: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            found[name.group(1)] = unescape(value.group(1)) if value else ""
    return found


def csrf_token(html: str) -> str:
    return hidden_inputs(html)["csrf_token"]


def submit_contact(
    client: FlaskClient, lang: str = "en", base_url: str = HTTPS, **fields: Any
) -> TestResponse:
    """Open /contact, take its hidden fields, fill in ``fields`` and send it."""
    page = client.get(f"/contact?lang={lang}", base_url=base_url)
    assert page.status_code == 200
    data = hidden_inputs(page.get_data(as_text=True))
    data.update({"request_type": "question", "message": "Hello"})
    data.update({k: str(v) for k, v in fields.items()})
    return client.post(f"/contact?lang={lang}", data=data, base_url=base_url)


def read_mails(app: Flask) -> list[EmailMessage]:
    folder = Path(app.config["MAIL_DIR"])
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]  # type: ignore[misc]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def link_in(mail: EmailMessage, marker: str) -> str:
    """The path (with query) of the first link in the mail's text containing ``marker``."""
    match = re.search(r"https?://[^\s]+" + re.escape(marker) + r"[^\s]*", text_of(mail))
    assert match, text_of(mail)
    return re.sub(r"^https?://[^/]+", "", match.group(0))


def make_user(app: Flask, email: str, password: str, role: str = "staff") -> None:
    with app.app_context(), db.transaction() as session:
        auth.create_user(session, email, password, role)


def login(client: FlaskClient, email: str, password: str, next_path: str = "") -> TestResponse:
    page = client.get("/admin/login", base_url=HTTPS)
    data = hidden_inputs(page.get_data(as_text=True))
    data.update({"email": email, "password": password})
    if next_path:
        data["next"] = next_path
    return client.post("/admin/login", data=data, base_url=HTTPS)


def post_action(client: FlaskClient, request_id: int, action: str, **fields: str) -> TestResponse:
    page = client.get(f"/admin/requests/{request_id}", base_url=HTTPS)
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), **fields}
    return client.post(f"/admin/requests/{request_id}/{action}", data=data, base_url=HTTPS)


def confirm(client: FlaskClient, verify_path: str, base_url: str = HTTPS) -> TestResponse:
    """Open the e-mailed verification link and press its confirm button (a POST)."""
    page = client.get(verify_path, base_url=base_url)
    assert page.status_code == 200, page.get_data(as_text=True)
    data = hidden_inputs(page.get_data(as_text=True))
    return client.post(verify_path, data=data, base_url=base_url)
