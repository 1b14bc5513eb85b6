"""Admin face: staff sign-in, the dashboard, the operations pages and commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    # policy_views and users_views add their routes to views.bp when imported.
    from gateway.admin import (
        auth,
        cli,
        gauges,
        nav,
        panels,
        policy_views,  # noqa: F401
        stats,
        users_views,  # noqa: F401
        views,
    )
    from gateway.retention import Purger, register_purger

    app.register_blueprint(views.bp)
    register_purger(
        app,
        Purger("expired staff sessions", auth.count_expired_sessions, auth.purge_expired_sessions),
    )
    app.cli.add_command(cli.admin_group)
    app.cli.add_command(stats.stats_command)
    app.jinja_env.globals["staff_user"] = auth.current_user
    app.jinja_env.globals["admin_nav"] = nav.nav_for_current_user
    panels.register_all(app)
    gauges.register_all(app)
    for entry in (
        nav.NavEntry("admin.index", "Dashboard", 0),
        nav.NavEntry("contact_admin.queue", "Requests", 10),
        nav.NavEntry("consent_admin.overview", "Consents", 20),
        nav.NavEntry("admin.forwarded_page", "What Google receives", 40),
        nav.NavEntry("admin.policy_page", "Policy", 50, role="admin"),
        nav.NavEntry("admin.users_page", "Users", 60, role="admin"),
    ):
        nav.register_nav(app, entry)
