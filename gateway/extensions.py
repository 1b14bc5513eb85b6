"""Extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter._manager import LimitManager
from flask_wtf import CSRFProtect

from gateway.clientinfo import client_address_for_limits
from gateway.db import Database

# Where each app keeps its own limiter (see GatewayLimiter).
APP_LIMITER = "gateway.limiter"


class AppLimiter(Limiter):
    """One app's limiter: its switch, storage and fallback, with the declared limits.

    The limits themselves are the ones declared on the module-level ``limiter``
    next to the routes; they are shared, not copied, so a route declared after
    an app was built is still seen.
    """

    def __init__(self, declared: Limiter) -> None:
        super().__init__(key_func=declared._key_func, default_limits=[])
        shared = declared.limit_manager
        manager = LimitManager(
            application_limits=[],
            default_limits=[],
            decorated_limits=shared._decorated_limits,
            blueprint_limits=shared._blueprint_limits,
            route_exemptions=shared._route_exemptions,
            blueprint_exemptions=shared._blueprint_exemptions,
        )
        manager._endpoint_hints = shared._endpoint_hints
        self.limit_manager = manager
        self._route_exemptions = shared._route_exemptions
        self._blueprint_exemptions = shared._blueprint_exemptions
        self._marked_for_limiting = declared._marked_for_limiting
        self._request_filters = declared._request_filters

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        # A ``@limiter.limit`` view still walks the limit manager, the exemption
        # scopes and the meta limits on every request even when limits are off,
        # only to find nothing to check (on /collect that was a tenth of the
        # request). Flask-Limiter itself treats every endpoint as exempt in this
        # state (see its __check_all_limits_exempt): skipping is the same verdict.
        if not (self.enabled and self.initialized):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


class GatewayLimiter(Limiter):
    """Where limits are declared (``@limiter.limit`` next to each route).

    Flask-Limiter keeps its on/off switch, storage and fallback state on the
    extension object, so with one module-level limiter the last app built in a
    process decided for every app (tests build many; two apps in one process
    would share one storage). Here ``init_app`` gives each app its own
    :class:`AppLimiter`, and the checks the route decorators ask for are run by
    the current app's.
    """

    def init_app(self, app: Flask) -> None:
        own = AppLimiter(self)
        app.extensions[APP_LIMITER] = own
        own.init_app(app)

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        own = current_app.extensions.get(APP_LIMITER)
        if own is not None:
            own._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def identify_request(self) -> str:
        own = current_app.extensions.get(APP_LIMITER)
        return own.identify_request() if own is not None else ""


def app_limiter(app: Flask) -> AppLimiter:
    """The limiter that checks ``app``'s requests."""
    own: AppLimiter = app.extensions[APP_LIMITER]
    return own


db = Database()
csrf = CSRFProtect()
# Limits are declared next to the routes they guard; storage and the on/off
# switch come from RATELIMIT_* settings (see gateway/ratelimits.py).
limiter = GatewayLimiter(key_func=client_address_for_limits, default_limits=[])
