"""GATEWAY_SECRET_KEYS=new,old: what was signed with the old key keeps working."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string, session

from gateway.consent.tokens import ConsentClaims, TokenInvalid, issue_token, read_token
from tests.conftest import AppFactory

OLD, NEW = "old-key-" + "o" * 32, "new-key-" + "n" * 32

HTTPS = "https://localhost"
SAME_ORIGIN = {"Referer": "https://localhost/t/form"}
COOKIE = "__Host-session"

FORM = '<form method="post"><input name="csrf_token" value="{{ csrf_token() }}"></form>'


def _add_routes(app: Flask) -> None:
    @app.get("/t/form")
    def form() -> str:
        session["who"] = "visitor"
        return render_template_string(FORM)

    @app.post("/t/form")
    def submit() -> str:
        return f"ok {session.get('who')}"


@pytest.fixture
def old_and_rotated(app_factory: AppFactory) -> tuple[Flask, Flask]:
    old = app_factory(SECRET_KEYS=[OLD])
    rotated = app_factory(SECRET_KEYS=[NEW, OLD])
    _add_routes(old)
    _add_routes(rotated)
    return old, rotated


def test_session_and_open_form_survive_rotation(old_and_rotated: tuple[Flask, Flask]) -> None:
    old, rotated = old_and_rotated
    browser = old.test_client()
    page = browser.get("/t/form", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    cookie = browser.get_cookie(COOKIE, domain="localhost")
    assert cookie is not None

    after = rotated.test_client()
    after.set_cookie(COOKIE, cookie.value, domain="localhost")
    response = after.post(
        "/t/form", data={"csrf_token": token}, base_url=HTTPS, headers=SAME_ORIGIN
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok visitor"


def test_new_csrf_tokens_use_the_new_key(old_and_rotated: tuple[Flask, Flask]) -> None:
    old, rotated = old_and_rotated
    browser = rotated.test_client()
    page = browser.get("/t/form", base_url=HTTPS).get_data(as_text=True)
    token = re.search(r'value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    cookie = browser.get_cookie(COOKIE, domain="localhost")
    assert cookie is not None
    # A node still on the old key alone cannot verify what the new key signed.
    before = old.test_client()
    before.set_cookie(COOKIE, cookie.value, domain="localhost")
    assert (
        before.post(
            "/t/form", data={"csrf_token": token}, base_url=HTTPS, headers=SAME_ORIGIN
        ).status_code
        == 400
    )


def test_forged_csrf_token_is_refused(old_and_rotated: tuple[Flask, Flask]) -> None:
    _, rotated = old_and_rotated
    browser = rotated.test_client()
    browser.get("/t/form", base_url=HTTPS)
    assert (
        browser.post(
            "/t/form",
            data={"csrf_token": "forged.token.value"},
            base_url=HTTPS,
            headers=SAME_ORIGIN,
        ).status_code
        == 400
    )


def test_consent_token_survives_rotation(old_and_rotated: tuple[Flask, Flask]) -> None:
    old, rotated = old_and_rotated
    claims = ConsentClaims("c-1", "hottelecom", {"analytics": True}, 1)
    with old.app_context():
        old_token = issue_token(claims)
    with rotated.app_context():
        assert read_token(old_token) == claims
        new_token = issue_token(claims)
    with old.app_context(), pytest.raises(TokenInvalid):
        read_token(new_token)


def test_dropped_key_no_longer_verifies(app_factory: AppFactory) -> None:
    old = app_factory(SECRET_KEYS=[OLD])
    retired = app_factory(SECRET_KEYS=[NEW])
    claims = ConsentClaims("c-2", "hottelecom", {"analytics": False}, 1)
    with old.app_context():
        token = issue_token(claims)
    with retired.app_context(), pytest.raises(TokenInvalid):
        read_token(token)


def test_emailed_links_survive_rotation(app_factory: AppFactory) -> None:
    """A verification link mailed before the rotation still verifies after it; the
    status link made then is signed with the new key, which the old node cannot read."""
    from gateway.contact.models import ContactRequest
    from gateway.extensions import db
    from tests.contact_support import HTTPS as CONTACT_BASE
    from tests.contact_support import browser_like_client, link_in, read_mails, submit_contact

    old = app_factory(SECRET_KEYS=[OLD], CONTACT_MIN_FILL_SECONDS=0)
    rotated = app_factory(SECRET_KEYS=[NEW, OLD], CONTACT_MIN_FILL_SECONDS=0)
    sent = submit_contact(browser_like_client(old), email="olga@example.ru", request_type="access")
    assert sent.status_code == 303
    [mail] = read_mails(old)
    verify_path = link_in(mail, "/contact/verify/")

    from tests.contact_support import confirm

    verified = confirm(browser_like_client(rotated), verify_path, base_url=CONTACT_BASE)
    assert verified.status_code == 303
    status_path = verified.headers["Location"]
    with rotated.app_context():
        [stored] = db.session.scalars(sa.select(ContactRequest)).all()
        assert stored.status != "unverified"
    assert rotated.test_client().get(status_path, base_url=CONTACT_BASE).status_code == 200
    # The status link was signed with the new key: the old node refuses it.
    refused = old.test_client().get(status_path, base_url=CONTACT_BASE)
    assert refused.status_code == 400
