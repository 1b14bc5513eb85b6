"""A staff member's own account: the language of the staff pages, their password,
and the sign-in limit per account (besides the one per client address)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway.admin.models import StaffSession, User
from gateway.extensions import db
from tests.conftest import AppFactory
from tests.contact_support import HTTPS, browser_like_client, csrf_token, login, make_user

EMAIL = "staff@hottelecom.example"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a much longer new passphrase"


def _signed_in(app: Flask) -> FlaskClient:
    client = browser_like_client(app)
    assert login(client, EMAIL, PASSWORD).status_code == 303
    return client


def _post(client: FlaskClient, path: str, **fields: str) -> tuple[int, str, str]:
    page = client.get("/admin/account", base_url=HTTPS).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(page), **fields}, base_url=HTTPS)
    return response.status_code, response.headers.get("Location", ""), response.get_data(True)


def test_a_staff_member_chooses_russian_and_every_staff_page_follows(app: Flask) -> None:
    make_user(app, EMAIL, PASSWORD)
    make_user(app, "other@hottelecom.example", PASSWORD)
    client = _signed_in(app)
    # English by default, whatever the browser asks for.
    page = client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    assert "Sign out" in page
    assert 'lang="en"' in page
    code, where, _ = _post(client, "/admin/account/language", language="ru", back="/admin/traffic")
    assert (code, where) == (303, "/admin/traffic")
    page = client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    assert '<html lang="ru">' in page
    assert "Выйти" in page
    assert "Sign out" not in page
    assert ">Обращения<" in page
    assert ">Посещаемость<" in page
    assert ">Сводка<" in page
    with app.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.email == EMAIL)) == "ru"
    # The choice is this person's: a colleague still reads English.
    colleague = browser_like_client(app)
    assert login(colleague, "other@hottelecom.example", PASSWORD).status_code == 303
    assert "Sign out" in colleague.get("/admin", base_url=HTTPS).get_data(as_text=True)


def test_a_language_that_does_not_exist_is_refused_and_nothing_changes(app: Flask) -> None:
    make_user(app, EMAIL, PASSWORD)
    client = _signed_in(app)
    code, _, body = _post(client, "/admin/account/language", language="de")
    assert code == 400
    assert "Choose Russian or English." in body
    with app.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.email == EMAIL)) == "en"


def test_back_never_leaves_the_staff_area(app: Flask) -> None:
    make_user(app, EMAIL, PASSWORD)
    client = _signed_in(app)
    for target in ("https://evil.example/", "//evil.example/admin", "/contact"):
        code, where, _ = _post(client, "/admin/account/language", language="en", back=target)
        assert (code, where) == (303, "/admin/account"), target


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(
    app: Flask,
) -> None:
    make_user(app, EMAIL, PASSWORD)
    client = _signed_in(app)
    laptop = _signed_in(app)  # the same person signed in elsewhere (or a stolen session)
    code, _, body = _post(
        client, "/admin/account/password", current="guess", new=NEW_PASSWORD, repeat=NEW_PASSWORD
    )
    assert code == 400
    assert "The current password is not right." in body
    code, _, body = _post(
        client, "/admin/account/password", current=PASSWORD, new="short", repeat="short"
    )
    assert code == 400
    assert "at least 12 characters" in body
    code, _, body = _post(
        client, "/admin/account/password", current=PASSWORD, new=NEW_PASSWORD, repeat="other one"
    )
    assert code == 400
    assert "The two new passwords differ." in body
    assert laptop.get("/admin", base_url=HTTPS).status_code == 200  # nothing changed yet
    code, where, _ = _post(
        client, "/admin/account/password", current=PASSWORD, new=NEW_PASSWORD, repeat=NEW_PASSWORD
    )
    assert (code, where) == (303, "/admin/account")
    assert "Your password has been changed." in client.get("/admin/account", base_url=HTTPS).text
    # This session stays; the other one is over; the old password no longer opens anything.
    assert client.get("/admin", base_url=HTTPS).status_code == 200
    assert laptop.get("/admin", base_url=HTTPS).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 1
    assert login(browser_like_client(app), EMAIL, PASSWORD).status_code == 401
    assert login(browser_like_client(app), EMAIL, NEW_PASSWORD).status_code == 303


def test_password_errors_in_russian_for_a_russian_speaking_member(app: Flask) -> None:
    make_user(app, EMAIL, PASSWORD)
    client = _signed_in(app)
    _post(client, "/admin/account/language", language="ru")
    code, _, body = _post(
        client, "/admin/account/password", current="guess", new=NEW_PASSWORD, repeat=NEW_PASSWORD
    )
    assert code == 400
    assert "Текущий пароль указан неверно." in body


def test_the_account_page_needs_sign_in(client: FlaskClient) -> None:
    assert client.get("/admin/account").status_code == 302
    assert client.post("/admin/account/password", data={}).status_code in (302, 400)


def test_guessing_one_account_from_many_addresses_meets_the_per_account_limit(
    app_factory: AppFactory,
) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(app, EMAIL, PASSWORD)
    make_user(app, "other@hottelecom.example", PASSWORD)
    codes = []
    for n in range(11):
        client = browser_like_client(app)
        # A fresh client address for every guess: the per-address limit never triggers.
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        codes.append(login(client, EMAIL.upper(), f"guess {n}").status_code)
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    client = browser_like_client(app)
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    refused = login(client, EMAIL, PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts for this account" in refused.get_data(as_text=True)
    # Another account from the same fresh address is not held up.
    assert login(client, "other@hottelecom.example", PASSWORD).status_code == 303


def test_successful_sign_ins_do_not_use_up_the_per_account_limit(app_factory: AppFactory) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(app, EMAIL, PASSWORD)
    for n in range(12):
        client = browser_like_client(app)
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        assert login(client, EMAIL, PASSWORD).status_code == 303


def test_the_dashboard_frame_is_in_russian_and_long_tables_are_folded(app: Flask) -> None:
    from datetime import date

    from tests.dashboard_fixtures import fill

    make_user(app, EMAIL, PASSWORD)
    with app.app_context():
        fill(db.session(), date.today())
    client = _signed_in(app)
    _post(client, "/admin/account/language", language="ru")
    page = client.get("/admin", base_url=HTTPS).get_data(as_text=True)
    assert "<h1>Сводка</h1>" in page
    assert ">Показать<" in page
    assert ">Сегодня<" in page
    assert "все сайты" in page
    assert "Quick ranges" not in page
