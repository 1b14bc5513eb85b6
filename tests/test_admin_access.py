"""Who may open which staff page: anonymous visitors, staff and admins; CSRF on every form."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from gateway.admin.nav import NavEntry, register_nav
from tests.admin_support import signed_in, token_for

STAFF_PAGES = ["/admin", "/admin/forwarded", "/admin/requests"]
ADMIN_PAGES = ["/admin/policy", "/admin/users"]
ADMIN_POSTS = [
    "/admin/forwarded/retry",
    "/admin/policy/preview",
    "/admin/policy/publish",
    "/admin/users",
    "/admin/users/1/role",
    "/admin/users/1/active",
]


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_come_back(app: Flask, path: str) -> None:
    response = app.test_client().get(path + "?site=shop")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/admin/login"
    assert parse_qs(location.query)["next"] == [path + "?site=shop"]


@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_anonymous_posts_change_nothing(app: Flask, path: str) -> None:
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    from tests.admin_support import csrf_token

    response = client.post(path, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_open_the_dashboards_and_the_queue(app: Flask, path: str) -> None:
    client = signed_in(app, "staff")
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "staff@hottelecom.example" in html
    assert 'action="/admin/logout"' in html


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_staff_get_a_403_page_on_admin_pages(app: Flask, path: str) -> None:
    client = signed_in(app, "staff")
    response = client.get(path)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "This page is for the admin role; you are signed in as staff" in html
    # The 403 page keeps the staff navigation, so the way back is one click.
    assert 'href="/admin/requests"' in html


@pytest.mark.parametrize("path", ADMIN_POSTS)
def test_staff_cannot_use_admin_forms(app: Flask, path: str) -> None:
    client = signed_in(app, "staff")
    response = client.post(path, data={"csrf_token": token_for(client)})
    assert response.status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_admins_open_every_page(app: Flask, path: str) -> None:
    client = signed_in(app, "admin")
    assert client.get(path).status_code == 200


def test_navigation_follows_the_role(app: Flask) -> None:
    staff = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    admin = signed_in(app, "admin").get("/admin").get_data(as_text=True)
    for label, href in [
        ("Dashboard", "/admin"),
        ("Requests", "/admin/requests"),
        ("What Google receives", "/admin/forwarded"),
    ]:
        assert f'href="{href}"' in staff
        assert label in staff
    assert 'href="/admin/users"' not in staff
    assert 'href="/admin/policy"' not in staff
    assert 'href="/admin/users"' in admin
    assert 'href="/admin/policy"' in admin


def test_a_face_adds_its_page_to_the_navigation(app_factory) -> None:  # type: ignore[no-untyped-def]
    """How the consent face will add /admin/consents: a route and a nav entry."""
    app = app_factory()
    app.add_url_rule("/admin/consents", "consent_staff.lookup", lambda: "consents")
    register_nav(app, NavEntry("consent_staff.lookup", "Consents", 20))
    register_nav(app, NavEntry("missing.endpoint", "Not installed", 30))
    html = signed_in(app, "staff").get("/admin").get_data(as_text=True)
    assert '<a href="/admin/consents">Consents</a>' in html
    assert "Not installed" not in html


def test_forms_without_a_csrf_token_are_refused(app: Flask) -> None:
    client = signed_in(app, "admin")
    for path in ["/admin/users", "/admin/forwarded/retry", "/admin/policy/preview"]:
        response = client.post(path, data={"email": "x@hottelecom.example"})
        assert response.status_code == 400
        assert "This form has expired" in response.get_data(as_text=True)


def test_sign_out_ends_the_session(app: Flask) -> None:
    client = signed_in(app, "staff")
    response = client.post("/admin/logout", data={"csrf_token": token_for(client)})
    assert response.status_code == 303
    assert client.get("/admin").status_code == 302


def test_sign_in_lands_on_the_dashboard(app: Flask) -> None:
    from tests.admin_support import PASSWORD, csrf_token, make_user

    make_user(app, "officer@hottelecom.example", "admin")
    client = app.test_client()
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        data={
            "email": "officer@hottelecom.example",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/admin"
