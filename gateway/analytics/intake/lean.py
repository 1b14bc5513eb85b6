"""The intake's lean path: beacons skip Flask's per-request machinery.

/api/v1/collect and /g/collect carry nearly all of the gateway's traffic, one
beacon per page view, and need none of what Flask prepares for every request:
a request context, URL matching, the session, CSRF, the blueprints' hooks. On
a two-core node that machinery cost as much as the anonymizer and the
database write together. ``LeanIntake`` sits in front of Flask (inside
ProxyFix) and serves exactly the routes whose views are marked with
``lean_handler``: it calls the same handler Flask would, inside an app
context, and does itself what the hooks do for those routes:

- the rate limits declared on the view with ``@limiter.limit``, in the same
  storage (memory or Redis) and with the same key as Flask-Limiter;
- errors as the JSON the error handlers give under /api/ and /g/ (503 with
  Retry-After when the database is unavailable, never a bare 500);
- the security baseline headers and the request counter of /metrics.

Every other request, OPTIONS and wrong methods on these paths included, goes
to Flask unchanged.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from flask import Flask, Request, Response
from flask_limiter import RequestLimit
from werkzeug.http import HTTP_STATUS_CODES

from gateway.clientinfo import client_address_for_limits
from gateway.errors import APIError, json_error_for
from gateway.extensions import AppLimiter, app_limiter
from gateway.metrics import count_request
from gateway.ratelimits import rate_limited_message, route_limits
from gateway.security import add_baseline_headers, baseline_header_items

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask_limiter._limits import RuntimeLimit

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., Any])

# How often a failed rate-limit storage is asked whether it is back.
STORAGE_RECHECK_SECONDS = 5.0


class Reply(NamedTuple):
    """A lean handler's answer as plain data.

    The lean path writes it to the server as it is: building a werkzeug
    Response and converting it back to a header list cost as much as the
    anonymizer's rules for a page view. Flask's path uses ``to_response``.
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def has_body(self) -> bool:
        # RFC 9110: a 204 carries neither content nor Content-Length.
        return self.status != 204

    def header_items(self) -> list[tuple[str, str]]:
        items = []
        if self.content_type is not None:
            items.append(("Content-Type", self.content_type))
        if self.has_body():
            items.append(("Content-Length", str(len(self.body))))
        items.extend(self.headers)
        return items

    def status_line(self) -> str:
        return f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'UNKNOWN').upper()}"

    def to_response(self) -> Response:
        response = Response(
            self.body if self.has_body() else None,
            self.status,
            headers=list(self.headers),
            content_type=self.content_type,
        )
        if self.content_type is None:
            del response.headers["Content-Type"]  # werkzeug's default text/plain
        return response


Handler = Callable[[Flask, Request], Reply]


def lean_handler(handler: Handler) -> Callable[[View], View]:
    """Mark a view as served by ``handler(app, request)`` on the lean path."""

    def mark(view: View) -> View:
        view.lean_handler = handler  # type: ignore[attr-defined]
        return view

    return mark


@dataclass(frozen=True)
class LeanRoute:
    endpoint: str
    methods: frozenset[str]
    handler: Handler


def lean_routes(app: Flask) -> dict[str, list[LeanRoute]]:
    """The marked routes of ``app``, by path (static paths only)."""
    routes: dict[str, list[LeanRoute]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        handler = getattr(view, "lean_handler", None)
        if handler is None or rule.arguments:
            continue
        routes.setdefault(rule.rule, []).append(
            LeanRoute(
                rule.endpoint,
                frozenset(rule.methods or ()) - {"OPTIONS"},  # Flask answers OPTIONS
                handler,
            )
        )
    return routes


class LeanIntake:
    """WSGI middleware: the lean routes are answered here, the rest by ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.routes = lean_routes(app)
        # Each route's declared limits, resolved on its first request.
        self._limits: dict[tuple[str, str], list[RuntimeLimit]] = {}
        self._storage_checked = 0.0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        candidates = self.routes.get(environ.get("PATH_INFO", ""))
        if candidates is not None:
            method = environ.get("REQUEST_METHOD", "GET")
            for route in candidates:
                if method in route.methods:
                    return self.serve(route, environ, start_response)
        return self.wsgi_app(environ, start_response)

    def serve(
        self, route: LeanRoute, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        app = self.app
        with app.app_context():
            req = app.request_class(environ)
            limit: RequestLimit | None = None
            try:
                limit = self.check_limits(route, req)
                reply = route.handler(app, req)
            except Exception as exc:  # every error becomes JSON, as the handlers do
                return self.error(route, req, limit, exc)(environ, start_response)
            headers = reply.header_items()
            if limit is not None:
                headers.extend(limit_header_items(limit))
            present = {name.lower() for name, _value in headers}
            headers.extend(
                baseline_header_items(
                    present, False, req.path, req.is_secure, app.config["HSTS_MAX_AGE"]
                )
            )
            count_request(route.endpoint, req.method, reply.status)
            start_response(reply.status_line(), headers)
            if req.method == "HEAD" or not reply.has_body():
                return ()
            return (reply.body,)

    def error(
        self, route: LeanRoute, req: Request, limit: RequestLimit | None, exc: Exception
    ) -> Response:
        """The JSON error answer, with the headers Flask's path gives it."""
        response = json_error_for(exc, route.endpoint)
        if limit is not None:
            response.headers.extend(limit_header_items(limit))
        add_baseline_headers(response, req.path, req.is_secure, self.app.config["HSTS_MAX_AGE"])
        count_request(route.endpoint, req.method, response.status_code)
        return response

    def check_limits(self, route: LeanRoute, req: Request) -> RequestLimit | None:
        """Hit the route's declared limits; raise a 429 APIError when one is spent.

        Returns the limit whose state goes into the X-RateLimit headers (the
        one with the fewest requests left), as Flask-Limiter does. When the
        storage (Redis) fails, counting moves to this app's in-memory fallback,
        as on Flask's path, and back once the storage answers again.
        """
        own = app_limiter(self.app)
        if not own.enabled:
            return None
        limits = self._limits.get((route.endpoint, req.method))
        if limits is None:
            limits = route_limits(self.app, route.endpoint, req.method)
            self._limits[(route.endpoint, req.method)] = limits
        if not limits:
            return None
        if own._storage_dead:
            self._revive_storage(own)
        key = client_address_for_limits(req)
        try:
            states = self._hit(own, route, req, limits, key)
        except Exception as exc:
            log.warning("rate-limit storage unavailable: %s", type(exc).__name__)
            if own._storage_dead or not own._in_memory_fallback_enabled:
                return None  # nothing left to count with: serve
            own._storage_dead = True
            self._storage_checked = time.monotonic()
            return self.check_limits(route, req)
        breached = [state for state in states if state.breached]
        if not breached:
            return min(states, key=lambda state: state.remaining)
        now = time.time()
        seconds = max(1, math.ceil(max(state.window[0] for state in breached) - now))
        headers = dict(limit_header_items(breached[0]))
        headers["Retry-After"] = str(seconds)
        raise APIError(429, rate_limited_message(seconds), headers=headers)

    def _hit(
        self,
        own: AppLimiter,
        route: LeanRoute,
        req: Request,
        limits: list[RuntimeLimit],
        key: str,
    ) -> list[RequestLimit]:
        states = []
        for lim in sorted(limits, key=lambda item: item.limit):
            scope = lim.scope_for(route.endpoint, req.method)
            args = [own._key_prefix, key, scope] if own._key_prefix else [key, scope]
            allowed = own.limiter.hit(lim.limit, *args, cost=lim.deduction_amount)
            states.append(RequestLimit(own, lim.limit, args, not allowed, lim.shared))
        return states

    def _revive_storage(self, own: AppLimiter) -> None:
        """Every STORAGE_RECHECK_SECONDS, ask the failed storage whether it is back."""
        now = time.monotonic()
        if now - self._storage_checked < STORAGE_RECHECK_SECONDS:
            return
        self._storage_checked = now
        try:
            back = bool(own._storage is not None and own._storage.check())
        except Exception:
            back = False
        if back:
            log.info("rate-limit storage recovered")
            own._storage_dead = False


def limit_header_items(limit: RequestLimit) -> list[tuple[str, str]]:
    """Flask-Limiter's X-RateLimit headers for the state of ``limit``."""
    return [
        ("X-RateLimit-Limit", str(limit.limit.amount)),
        ("X-RateLimit-Remaining", str(limit.remaining)),
        ("X-RateLimit-Reset", str(limit.reset_at)),
    ]


def init_app(app: Flask) -> None:
    """Put the lean path in front of Flask; call once the views are registered."""
    app.wsgi_app = LeanIntake(app, app.wsgi_app)  # type: ignore[method-assign]
