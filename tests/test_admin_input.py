"""Odd input on the staff pages gets a clear answer, never a 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import time_machine
from flask import Flask

from tests.admin_support import csrf_token, signed_in, token_for

NOW = "2026-11-25 12:00:00"


def test_nul_characters_and_huge_numbers(app: Flask) -> None:
    anonymous = app.test_client()
    page = anonymous.get("/admin/login").get_data(as_text=True)
    login = anonymous.post(
        "/admin/login",
        data={
            "email": "a\x00@hottelecom.example",
            "password": "x\x00",
            "csrf_token": csrf_token(page),
        },
    )
    assert login.status_code == 401
    admin = signed_in(app, "admin")
    token = token_for(admin, "/admin/users")
    created = admin.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "nul\x00@hottelecom.example",
            "role": "staff",
            "password": "p" * 12,
            "password_repeat": "p" * 12,
        },
    )
    assert created.status_code == 400
    assert "Expected an e-mail address" in created.get_data(as_text=True)
    for path in ("/admin/users/99999999999999999999/role", "/admin/users/2147483648/active"):
        assert admin.post(path, data={"csrf_token": token, "role": "staff"}).status_code == 404
    retried = admin.post(
        "/admin/forwarded/retry",
        data={"csrf_token": token, "event_id": "99999999999999999999999"},
    )
    assert retried.status_code == 303
    assert admin.get("/admin/forwarded?page=99999999999999999999999").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_nul_in_a_policy_draft(app: Flask) -> None:
    admin = signed_in(app, "admin")
    data = {
        "csrf_token": token_for(admin, "/admin/policy"),
        "lang": "en\x00",
        "effective": "2026-12-01\x00",
        "summary": "Sum\x00mary",
        "text": "# T\n\nBody \x00 text",
    }
    for path in ("/admin/policy/preview", "/admin/policy/publish"):
        html = admin.post(path, data=data).get_data(as_text=True)
        assert "is not supported; use one of ru, en" in html
        assert "The text contains a NUL character" in html
        assert "The summary contains a NUL character" in html
        assert "is not a date like 2026-03-01" in html
