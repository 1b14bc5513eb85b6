"""Staff accounts and sign-in: hashed passwords, `__Host-` cookie, rotation.

Safe `next=` redirects are tested in test_security_redirects.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway.admin.models import StaffSession, User
from gateway.extensions import db
from gateway.timeutil import utcnow
from tests.conftest import AppFactory
from tests.contact_support import HTTPS, browser_like_client, hidden_inputs, login, make_user

PASSWORD = "correct horse battery"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    make_user(app, "staff@hottelecom.example", PASSWORD)
    return browser_like_client(app)


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("__Host-session", domain="gateway.example")
    assert cookie is not None
    return cookie.value


def test_create_user_from_a_prompt_with_confirmation(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["admin", "create-user", "Boss@HotTelecom.example", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss@hottelecom.example" in result.output
    assert PASSWORD not in result.output
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
    assert user.role == "admin"
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_create_user_prompt_mismatch_asks_again(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["admin", "create-user", "a@hottelecom.example"],
        input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "Error" in result.output


def test_create_user_from_stdin_and_refusals(app: Flask) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=["admin", "create-user", "s@hottelecom.example", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(
        args=["admin", "create-user", "s@hottelecom.example", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert again.exit_code != 0
    assert "already exists" in again.output
    short = runner.invoke(
        args=["admin", "create-user", "t@hottelecom.example", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0
    assert "at least 12 characters" in short.output
    not_mail = runner.invoke(
        args=["admin", "create-user", "boss.hottelecom.example", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert not_mail.exit_code == 1
    assert "cannot create 'boss.hottelecom.example': expected an e-mail address" in not_mail.output


def test_admin_needs_login_and_then_lands_on_the_dashboard(client: FlaskClient) -> None:
    response = client.get("/admin", base_url=HTTPS)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=/admin")
    assert client.get("/admin/requests", base_url=HTTPS).status_code == 302
    signed_in = login(client, "staff@hottelecom.example", PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"] == "/admin"
    assert client.get("/admin", base_url=HTTPS).status_code == 200
    queue = client.get("/admin/requests", base_url=HTTPS)
    assert queue.status_code == 200
    assert "Data-subject requests" in queue.get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    wrong = login(client, "staff@hottelecom.example", "not the password")
    unknown = login(client, "nobody@hottelecom.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        html = response.get_data(as_text=True)
        assert "Wrong e-mail or password." in html
        assert "not the password" not in html
    assert client.get("/admin/requests", base_url=HTTPS).status_code == 302


def test_inactive_user_cannot_sign_in(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), db.transaction() as session:
        session.scalars(sa.select(User)).one().active = False
    assert login(client, "staff@hottelecom.example", PASSWORD).status_code == 401


def test_session_cookie_attributes(client: FlaskClient) -> None:
    response = login(client, "staff@hottelecom.example", PASSWORD)
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    [session_cookie] = [c for c in cookies if c.startswith("__Host-session=")]
    attributes = {part.strip().split("=")[0].lower() for part in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert "Path=/" in session_cookie
    assert "SameSite=Lax" in session_cookie
    assert "domain" not in attributes


def test_login_rotates_the_session_id(app: Flask, client: FlaskClient) -> None:
    client.get("/admin/login", base_url=HTTPS)
    before = _session_cookie(client)
    login(client, "staff@hottelecom.example", PASSWORD)
    after = _session_cookie(client)
    assert after != before
    # Signing in again replaces the server-side session instead of adding one.
    login(client, "staff@hottelecom.example", PASSWORD)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 1


def test_logout_needs_csrf_and_ends_the_session_for_good(app: Flask, client: FlaskClient) -> None:
    login(client, "staff@hottelecom.example", PASSWORD)
    stolen = _session_cookie(client)
    no_token = client.post("/admin/logout", base_url=HTTPS)
    assert no_token.status_code == 400
    assert client.get("/admin/requests", base_url=HTTPS).status_code == 200
    page = client.get("/admin/requests", base_url=HTTPS).get_data(as_text=True)
    out = client.post(
        "/admin/logout", data={"csrf_token": hidden_inputs(page)["csrf_token"]}, base_url=HTTPS
    )
    assert out.status_code == 303
    assert client.get("/admin/requests", base_url=HTTPS).status_code == 302
    # A copy of the old cookie is worthless now.
    other = browser_like_client(app)
    other.set_cookie("__Host-session", stolen, domain="gateway.example")
    assert other.get("/admin/requests", base_url=HTTPS).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0


def test_login_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/admin/login",
        data={"email": "staff@hottelecom.example", "password": PASSWORD},
        base_url=HTTPS,
    )
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_login_attempts_are_rate_limited(app_factory: AppFactory) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    make_user(app, "staff@hottelecom.example", PASSWORD)
    client = browser_like_client(app)
    codes = [login(client, "staff@hottelecom.example", f"guess {n}").status_code for n in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429
    # Even the right password waits now.
    assert login(client, "staff@hottelecom.example", PASSWORD).status_code == 429


def test_nul_in_the_login_form_is_just_a_failed_login(client: FlaskClient) -> None:
    assert login(client, "staff@hottelecom.example\x00", "x\x00y").status_code == 401


def test_sessions_expire_when_idle_and_are_purged(app: Flask, client: FlaskClient) -> None:
    login(client, "staff@hottelecom.example", PASSWORD)
    with app.app_context(), db.transaction() as session:
        row = session.scalars(sa.select(StaffSession)).one()
        row.last_seen_at = utcnow() - timedelta(hours=9)
    assert client.get("/admin/requests", base_url=HTTPS).status_code == 302
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["purge"])
        assert "expired staff sessions: 1 removed" in result.output
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffSession)) == 0


def test_role_required_lets_admins_in_and_keeps_staff_out(app_factory: AppFactory) -> None:
    from gateway.admin.auth import role_required

    app = app_factory()
    app.add_url_rule(
        "/admin/only-admins", "only_admins", role_required("admin")(lambda: "admin area")
    )
    make_user(app, "staff@hottelecom.example", PASSWORD)
    make_user(app, "boss@hottelecom.example", PASSWORD, role="admin")
    anonymous = browser_like_client(app)
    assert anonymous.get("/admin/only-admins", base_url=HTTPS).status_code == 302
    staff = browser_like_client(app)
    login(staff, "staff@hottelecom.example", PASSWORD)
    assert staff.get("/admin/only-admins", base_url=HTTPS).status_code == 403
    boss = browser_like_client(app)
    login(boss, "boss@hottelecom.example", PASSWORD)
    response = boss.get("/admin/only-admins", base_url=HTTPS)
    assert response.get_data(as_text=True) == "admin area"
