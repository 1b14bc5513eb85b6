"""Extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_wtf import CSRFProtect

from gateway.clientinfo import client_address_for_limits
from gateway.db import Database


class GatewayLimiter(Limiter):
    """Flask-Limiter, minus its per-request work while limits are switched off.

    A ``@limiter.limit`` view still walks the limit manager, the exemption
    scopes and the meta limits on every request even when RATELIMIT_ENABLED
    is false, only to find nothing to check; on /collect that was a tenth of
    the request. With limits on, nothing changes.
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        # Flask-Limiter itself treats every endpoint as exempt in this state
        # (see its __check_all_limits_exempt): skipping is the same verdict.
        if not (self.enabled and self.initialized):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


db = Database()
csrf = CSRFProtect()
# Limits are declared next to the routes they guard; storage and the on/off
# switch come from RATELIMIT_* settings (see gateway/ratelimits.py).
limiter = GatewayLimiter(key_func=client_address_for_limits, default_limits=[])
