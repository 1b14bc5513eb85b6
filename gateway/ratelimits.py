"""Rate-limit storage and switch; the limits themselves sit next to their routes."""

from __future__ import annotations

from flask import Flask

from gateway.extensions import limiter


def init_app(app: Flask) -> None:
    app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URL"]
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    # A broken Redis must not take the site down: fall back to memory.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
