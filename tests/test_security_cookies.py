"""Every cookie the gateway can set, over HTTPS and over plain HTTP.

The gateway sets exactly one cookie itself: ``__Host-session`` (Flask's signed
session: the CSRF token of the public forms and, once signed in, the staff
session id). Languages travel in ``?lang=``, not in a cookie. The banner's
``hc_consent`` cookie is written by the banner script on the host site's own
origin (``tests/test_consent_browser.py`` checks it: ``SameSite=Lax``,
``Secure`` on HTTPS pages, readable by the script since it sends the token).

On plain ``http://127.0.0.1`` (``make run``) the session cookie is still
``Secure`` and ``__Host-``: browsers treat loopback as a secure context and
keep it (``tests/test_contact_browser.py`` signs in with Chromium over
http://127.0.0.1); on any other plain-HTTP host they drop it, so forms answer
"expired" and staff cannot sign in. That is intended: serve HTTPS.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.conftest import AppFactory
from tests.consent_helpers import ORIGIN
from tests.contact_support import csrf_token, hidden_inputs
from tests.security_support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    World,
    build_world,
    client_for,
    get_rules,
    samples,
)

HTTPS = "https://gateway.example"
HTTP = "http://gateway.example"
# Faces called from other sites' pages: a cookie there would be a tracking cookie.
COOKIELESS_PREFIXES = ("/api/", "/g/", "/c/", "/static/", "/healthz", "/readyz", "/metrics")


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    return app_factory(CONTACT_MIN_FILL_SECONDS=0)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def assert_session_cookie(header: str, what: str) -> None:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    assert list(jar) == ["__Host-session"], (what, header)
    morsel = jar["__Host-session"]
    assert morsel["secure"] is True, (what, header)
    assert morsel["httponly"] is True, (what, header)
    assert morsel["samesite"] == "Lax", (what, header)
    # __Host- rules: Path=/ and no Domain, or browsers refuse the cookie.
    assert morsel["path"] == "/", (what, header)
    assert not morsel["domain"], (what, header)
    # A browser-session cookie: staff sessions end on the server (8 h idle, 24 h).
    if morsel.value:
        assert not morsel["expires"], (what, header)
        assert not morsel["max-age"], (what, header)


def flows(world: World, base_url: str) -> list[tuple[str, TestResponse]]:
    """Every form and API write that can answer with a cookie."""
    visitor, staff = world.visitor, world.staff
    out: list[tuple[str, TestResponse]] = []
    page = visitor.get("/contact?lang=en", base_url=base_url)
    out.append(("contact form", page))
    data = hidden_inputs(page.get_data(as_text=True))
    data.update({"request_type": "question", "message": "Hello", "email": "a@example.ru"})
    out.append(("contact post", visitor.post("/contact?lang=en", data=data, base_url=base_url)))
    status = visitor.get(world.status_path, base_url=base_url)
    answer = {"csrf_token": hidden_inputs(status.get_data(as_text=True)).get("csrf_token", "")}
    answer["message"] = "More details"
    out.append(("status answer", visitor.post(world.status_path, data=answer, base_url=base_url)))
    login_page = visitor.get("/admin/login", base_url=base_url)
    out.append(("login page", login_page))
    form = hidden_inputs(login_page.get_data(as_text=True))
    form.update({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    out.append(("login", visitor.post("/admin/login", data=form, base_url=base_url)))
    if base_url == HTTPS:
        token = csrf_token(staff.get("/admin", base_url=base_url).get_data(as_text=True))
        out.append(
            ("logout", staff.post("/admin/logout", data={"csrf_token": token}, base_url=base_url))
        )
    out.append(
        (
            "collect",
            visitor.post(
                "/api/v1/collect",
                json={"site": "hottelecom", "page": {"url": ORIGIN + "/"}, "events": []},
                headers={"Origin": ORIGIN},
                base_url=base_url,
            ),
        )
    )
    return out


@pytest.mark.parametrize("base_url", [HTTPS, HTTP])
def test_every_cookie_is_host_prefixed_secure_httponly_and_lax(world: World, base_url: str) -> None:
    seen = 0
    for rule in get_rules(world.app):
        sample = samples(world)[rule.endpoint]
        client = client_for(world, rule.endpoint)
        response = client.get(sample.path, base_url=base_url, headers=dict(sample.headers))
        for header in set_cookies(response):
            assert_session_cookie(header, f"GET {sample.path}")
            seen += 1
        if sample.path.startswith(COOKIELESS_PREFIXES):
            assert set_cookies(response) == [], sample.path
    for what, response in flows(world, base_url):
        assert response.status_code < 500, what
        for header in set_cookies(response):
            assert_session_cookie(header, what)
            seen += 1
    # The flows above do set the session cookie (forms, sign-in, sign-out).
    assert seen >= 3


def test_the_public_api_never_reads_the_session(world: World) -> None:
    """Beacons and the banner script carry no cookie semantics: no Vary: Cookie."""
    for endpoint, sample in samples(world).items():
        if sample.path.startswith(COOKIELESS_PREFIXES):
            response = client_for(world, endpoint).get(
                sample.path, base_url=HTTPS, headers=dict(sample.headers)
            )
            assert "Cookie" not in response.headers.get("Vary", ""), sample.path
