"""Analytics face: intake of page events, anonymized, counted or queued for GA4."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.analytics import forward_cli, lean, views
    from gateway.extensions import csrf

    # Pages on other origins post here with sendBeacon: no session, no cookie
    # is trusted, so there is nothing for a CSRF token to protect.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    views.init_app_state(app)
    lean.init_app(app)
    forward_cli.init_app(app)
