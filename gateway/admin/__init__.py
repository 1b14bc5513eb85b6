"""The staff shell: sign-in, users, the layout and navigation, charts, and the registries
(dashboard panels, /metrics gauges, navigation entries) each face fills with its own."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the shell's blueprint and commands are bound here."""
    # users_views and account_views add their routes to views.bp when imported.
    from gateway.admin import account_views, auth, cli, nav, stats, users_views, views  # noqa: F401
    from gateway.admin.dashboard import register_attention
    from gateway.mailwatch import mail_attention
    from gateway.retention import Purger, register_purger

    app.register_blueprint(views.bp)
    register_purger(
        app,
        Purger("expired staff sessions", auth.count_expired_sessions, auth.purge_expired_sessions),
    )
    register_attention(app, mail_attention)
    app.cli.add_command(cli.admin_group)
    app.cli.add_command(stats.stats_command)
    app.before_request(auth.remember_staff_language)
    app.jinja_env.globals["staff_user"] = auth.current_user
    app.jinja_env.globals["admin_nav"] = nav.nav_for_current_user
    nav.register_nav(app, nav.NavEntry("admin.index", "Dashboard", 0, label_ru="Сводка"))
    nav.register_nav(
        app, nav.NavEntry("admin.users_page", "Users", 60, role="admin", label_ru="Сотрудники")
    )
