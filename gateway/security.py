"""Security headers for every response, in one place, driven by configuration."""

from __future__ import annotations

import secrets

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from werkzeug.datastructures import Headers

# Paths whose responses are embedded in other sites (the banner script and the
# cross-origin API): they get no page-level CSP, which would be meaningless there.
_EMBEDDED_PREFIXES = ("/c/", "/api/", "/g/")


def csp_nonce() -> str:
    """The nonce for this request's inline <script>/<style> tags."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return str(nonce)


def content_security_policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ]
    )


# Set on every response unless the view chose its own value: (name, lowercase, value).
_EVERY_RESPONSE = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "interest-cohort=(), browsing-topics=()"),
    )
)


def add_baseline_headers(headers: Headers, is_secure: bool, hsts_max_age: int) -> None:
    """The headers every response carries, unless the view chose its own value."""
    # One pass over the headers the view set, instead of a scan per setdefault
    # (this runs on every response, beacons included).
    present = {name.lower() for name, _value in headers.items()}
    for name, lowered, value in _EVERY_RESPONSE:
        if lowered not in present:
            headers.add(name, value)
    if is_secure:
        headers.setdefault(
            "Strict-Transport-Security", f"max-age={hsts_max_age}; includeSubDomains"
        )


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    if not request.path.startswith(_EMBEDDED_PREFIXES):
        headers.setdefault("Content-Security-Policy", content_security_policy(csp_nonce()))
        headers.setdefault("X-Frame-Options", "DENY")
    add_baseline_headers(headers, request.is_secure, current_app.config["HSTS_MAX_AGE"])
    return response


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without building a signer when there is no cookie.

    Most requests (every analytics beacon) carry no session cookie; Flask would
    still derive the signing keys for each of them.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all: skip parsing an empty cookie jar too.
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessionInterface()
    app.after_request(set_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    if app.config.get("PUBLIC_URL", "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
