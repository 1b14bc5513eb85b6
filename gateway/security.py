"""Security headers for every response, in one place, driven by configuration.

HTML pages get a Content-Security-Policy with a fresh nonce per response;
every other answer (JSON, the banner script, the Atom feed, CSS, metrics)
gets a policy that allows nothing at all, since no document should ever run
or embed anything from them. No page of the gateway is meant to be framed
(the banner is a script on the host page, not an iframe): both policies say
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` backs that up for
old browsers. ``tests/test_security_headers.py`` walks every route.
"""

from __future__ import annotations

import secrets

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

# For everything that is not an HTML page: nothing may load, run, frame or submit.
NON_HTML_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


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


# Pages that show a person's data (staff area, a requester's status page) or
# carry form tokens: never kept by a browser cache or a proxy.
PRIVATE_PREFIXES = ("/admin", "/contact")

# Set on every response unless the view chose its own value: (name, lowercase, value).
_EVERY_RESPONSE = tuple(
    (name, name.lower(), value)
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "interest-cohort=(), browsing-topics=()"),
        ("X-Frame-Options", "DENY"),
    )
)


def baseline_header_items(
    present: set[str], document: bool, path: str, is_secure: bool, hsts_max_age: int
) -> list[tuple[str, str]]:
    """The baseline headers a response lacks: ``present`` holds the lowercase names it
    has, ``document`` says whether it is an HTML page (which gets a nonce policy)."""
    items = [(name, value) for name, lowered, value in _EVERY_RESPONSE if lowered not in present]
    if "content-security-policy" not in present:
        policy = content_security_policy(csp_nonce()) if document else NON_HTML_POLICY
        items.append(("Content-Security-Policy", policy))
    if "cache-control" not in present and path.startswith(PRIVATE_PREFIXES):
        items.append(("Cache-Control", "no-store"))
    # Only over HTTPS as the server sees it: wsgi.url_scheme, or X-Forwarded-Proto
    # from a trusted proxy (ProxyFix, TRUSTED_PROXIES). Never on plain HTTP.
    if is_secure and "strict-transport-security" not in present:
        items.append(("Strict-Transport-Security", f"max-age={hsts_max_age}; includeSubDomains"))
    return items


def add_baseline_headers(response: Response, path: str, is_secure: bool, hsts_max_age: int) -> None:
    """The headers every response carries, unless the view chose its own value.

    Takes what it needs of the request as arguments: the lean intake path
    (gateway.analytics.intake.lean) calls it without a request context.
    """
    headers = response.headers
    # One pass over the headers the view set, instead of a scan per setdefault
    # (this runs on every response, beacons included).
    present = {name.lower() for name, _value in headers.items()}
    # A 204 (a beacon's answer, a preflight) is no document, whatever its type says.
    document = response.mimetype == "text/html" and response.status_code != 204
    for name, value in baseline_header_items(present, document, path, is_secure, hsts_max_age):
        headers.add(name, value)


def set_security_headers(response: Response) -> Response:
    add_baseline_headers(
        response, request.path, request.is_secure, current_app.config["HSTS_MAX_AGE"]
    )
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
