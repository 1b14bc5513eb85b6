"""Analytics face."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.analytics import forward_cli

    forward_cli.init_app(app)
