"""Helpers for the staff-area tests: accounts, signing in, CSRF tokens from pages."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from gateway.admin.auth import create_user
from gateway.extensions import db

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_user(app: Flask, email: str, role: str = "staff") -> int:
    with app.app_context(), db.transaction() as session:
        user = create_user(session, email, PASSWORD, role)
        session.flush()
        return user.id


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def sign_in(client: FlaskClient, email: str) -> None:
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(page), "next": ""},
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def signed_in(app: Flask, role: str, email: str | None = None) -> FlaskClient:
    client = app.test_client()
    address = email or f"{role}@hottelecom.example"
    make_user(app, address, role)
    sign_in(client, address)
    return client


def token_for(client: FlaskClient, path: str = "/admin") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))
