"""Extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_wtf import CSRFProtect

from gateway.clientinfo import client_address_for_limits
from gateway.db import Database

db = Database()
csrf = CSRFProtect()
# Limits are declared next to the routes they guard; storage and the on/off
# switch come from RATELIMIT_* settings (see gateway/ratelimits.py).
limiter = Limiter(key_func=client_address_for_limits, default_limits=[])
