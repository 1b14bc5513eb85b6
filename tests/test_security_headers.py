"""The header baseline on every GET route of the url_map, over HTTP and HTTPS.

A route added without a sample in ``tests/security_support.py`` fails
``test_every_get_route_has_a_sample``; one that answers without the baseline
fails ``test_header_baseline_on_every_get_route``.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from gateway.security import NON_HTML_POLICY
from tests.conftest import AppFactory
from tests.security_support import (
    NONCE,
    World,
    build_world,
    client_for,
    get_rules,
    parse_csp,
    samples,
)

HTTPS = "https://gateway.example"
HTTP = "http://gateway.example"


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    return app_factory(CONTACT_MIN_FILL_SECONDS=0)


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def fetch(world: World, endpoint: str, base_url: str) -> TestResponse:
    sample = samples(world)[endpoint]
    client = client_for(world, endpoint)
    return client.get(sample.path, base_url=base_url, headers=dict(sample.headers))


def assert_baseline(response: TestResponse, *, https: bool, what: str) -> dict[str, list[str]]:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", what
    assert headers.get("X-Frame-Options") == "DENY", what
    assert "Server" not in headers, what
    assert "X-Powered-By" not in headers, what
    hsts = headers.get("Strict-Transport-Security")
    if https:
        assert hsts is not None, what
        assert re.fullmatch(r"max-age=31536000; includeSubDomains", hsts), (what, hsts)
    else:
        assert hsts is None, what
    assert len(headers.getlist("Content-Security-Policy")) == 1, what
    csp = parse_csp(headers["Content-Security-Policy"])
    # Nothing of the gateway is meant to be framed: the banner is a script on
    # the host page (shadow DOM), not an iframe.
    assert csp.get("frame-ancestors") == ["'none'"], what
    assert csp.get("base-uri") == ["'none'"], what
    # A 204 (a gtag beacon's answer) is no document: it gets the non-HTML policy.
    if response.mimetype == "text/html" and response.status_code != 204:
        scripts = csp["script-src"]
        assert "'unsafe-inline'" not in scripts, what
        assert "'unsafe-eval'" not in scripts, what
        assert "*" not in scripts
        assert not any(s.startswith(("http:", "https:")) for s in scripts)
        assert "'unsafe-inline'" not in csp["style-src"], what
        assert csp.get("object-src") == ["'none'"], what
        assert csp.get("default-src") == ["'self'"], what
        assert csp.get("form-action") == ["'self'"], what
        assert NONCE.search(headers["Content-Security-Policy"]), what
    else:
        # JSON, the banner script, CSS, the feed, metrics: no document may run anything.
        assert headers["Content-Security-Policy"] == NON_HTML_POLICY, what
        assert csp.get("default-src") == ["'none'"], what
    return csp


def test_every_get_route_has_a_sample(app: Flask, world: World) -> None:
    endpoints = {rule.endpoint for rule in get_rules(app)}
    known = set(samples(world))
    assert endpoints - known == set(), "add the new GET route to tests/security_support.py"
    assert known - endpoints == set(), "a sample names an endpoint that no longer exists"


@pytest.mark.parametrize("base_url", [HTTPS, HTTP])
def test_header_baseline_on_every_get_route(world: World, base_url: str) -> None:
    https = base_url.startswith("https")
    for rule in get_rules(world.app):
        endpoint = rule.endpoint
        first = fetch(world, endpoint, base_url)
        expected = samples(world)[endpoint].status
        what = f"{endpoint} over {base_url}: {first.status_code}"
        if https or not endpoint.split(".")[0].endswith("admin") or endpoint == "admin.login":
            assert first.status_code == expected, what
        else:
            # The staff cookie is __Host- and Secure: over plain HTTP it is not
            # sent by the test client either, so the page asks to sign in.
            assert first.status_code in (expected, 302), what
        assert_baseline(first, https=https, what=what)
        if first.mimetype == "text/html" and first.status_code == 200:
            second = fetch(world, endpoint, base_url)
            nonces = [
                NONCE.search(r.headers["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
                for r in (first, second)
            ]
            assert nonces[0] != nonces[1], f"{endpoint}: the nonce must change per response"
            assert len(nonces[0]) >= 22, endpoint  # at least 128 bits
            body = first.get_data(as_text=True)
            # Inline script is allowed only with this response's nonce.
            for tag in re.findall(r"<script\b[^>]*>", body):
                assert "src=" in tag or f'nonce="{nonces[0]}"' in tag, (endpoint, tag)
            assert not re.search(r"\son[a-z]+\s*=", body), f"{endpoint}: inline event handler"
            assert not re.search(r"\sstyle\s*=", body), f"{endpoint}: inline style attribute"
            assert "javascript:" not in body.lower(), endpoint


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-page", 404),
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/c/no-such-site.js", 404),
        ("DELETE", "/healthz", 405),
        ("POST", "/api/v1/collect", 415),
        ("POST", "/contact", 400),
    ],
)
def test_errors_carry_the_baseline_too(app: Flask, method: str, path: str, status: int) -> None:
    response = app.test_client().open(path, method=method, base_url=HTTPS)
    assert response.status_code == status
    assert_baseline(response, https=True, what=f"{method} {path}")


def test_personal_pages_are_never_cached(world: World) -> None:
    for endpoint, sample in samples(world).items():
        if sample.path.startswith(("/admin", "/contact")):
            response = fetch(world, endpoint, HTTPS)
            assert response.headers.get("Cache-Control") == "no-store", endpoint


def test_hsts_follows_the_scheme_the_server_trusts(app_factory: AppFactory) -> None:
    """Plain HTTP never gets HSTS; X-Forwarded-Proto counts only from a trusted proxy."""
    forged = {"X-Forwarded-Proto": "https"}
    direct = app_factory().test_client()
    assert "Strict-Transport-Security" not in direct.get("/healthz", headers=forged).headers
    assert "Strict-Transport-Security" in direct.get("/healthz", base_url=HTTPS).headers
    behind_proxy = app_factory(TRUSTED_PROXIES=1, HSTS_MAX_AGE=600).test_client()
    hsts = behind_proxy.get("/healthz", headers=forged).headers["Strict-Transport-Security"]
    assert hsts == "max-age=600; includeSubDomains"
    assert "Strict-Transport-Security" not in behind_proxy.get("/healthz").headers
