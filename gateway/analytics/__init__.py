"""Analytics face: beacons in (intake), anonymized, counted or queued in the outbox,
and sent on to GA4 (forwarding); plus its staff page, "What Google receives"."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.admin.dashboard import register_attention, register_panel
    from gateway.admin.nav import NavEntry, register_nav
    from gateway.analytics import gauges, reports, staff_views, traffic_cli
    from gateway.analytics.forwarding import cli as forwarding_cli
    from gateway.analytics.intake import lean, openapi, views
    from gateway.apidoc import register_api
    from gateway.extensions import csrf

    # Pages on other origins post here with sendBeacon: no session, no cookie
    # is trusted, so there is nothing for a CSRF token to protect.
    csrf.exempt(views.bp)
    app.register_blueprint(views.bp)
    views.init_app_state(app)
    lean.init_app(app)
    forwarding_cli.init_app(app)
    register_api(app, openapi.API)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(staff_views.traffic_bp)
    traffic_cli.init_app(app)
    register_nav(
        app, NavEntry("analytics_traffic.traffic_page", "Traffic", 35, label_ru="Посещаемость")
    )
    register_nav(
        app,
        NavEntry(
            "analytics_staff.forwarded_page",
            "What Google receives",
            40,
            label_ru="Что получает Google",
        ),
    )
    register_panel(app, 30, reports.intake_panel)
    register_panel(app, 40, reports.forwarding_panel)
    register_attention(app, reports.forwarder_attention)
    gauges.register_all(app)
