"""Admin face: staff sign-in, the dashboard and the operations commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.admin import auth, cli, panels, stats, views
    from gateway.retention import Purger, register_purger

    app.register_blueprint(views.bp)
    register_purger(
        app,
        Purger("expired staff sessions", auth.count_expired_sessions, auth.purge_expired_sessions),
    )
    app.cli.add_command(cli.admin_group)
    app.cli.add_command(stats.stats_command)
    app.jinja_env.globals["staff_user"] = auth.current_user
    panels.register_all(app)
