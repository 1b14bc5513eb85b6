"""Policy face: the versioned privacy policy (pages, diff, feed, API, CLI, publishing)."""

from __future__ import annotations

from flask import Flask

from gateway.dbcli import register_after_upgrade


def load_initial_policy() -> None:
    """policy version 1 (when no policy exists yet)"""
    import sqlalchemy as sa

    from gateway.extensions import db
    from gateway.policy.store import load_initial_version

    try:
        migrated = sa.inspect(db.engine).has_table("policy_versions")
    except sa.exc.DBAPIError:
        # Unreachable database: the migration before this hook has said so already.
        return
    if not migrated:
        return
    with db.transaction() as session:
        load_initial_version(session)


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.admin.dashboard import register_panel
    from gateway.admin.nav import NavEntry, register_nav
    from gateway.apidoc import register_api
    from gateway.policy import openapi, reports, staff_views
    from gateway.policy.cli import policy_group
    from gateway.policy.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(staff_views.bp)
    register_nav(
        app, NavEntry("policy_staff.page", "Policy", 50, role="admin", label_ru="Политика")
    )
    register_panel(app, 50, reports.policy_panel)
    register_api(app, openapi.API)
    app.cli.add_command(policy_group)
    register_after_upgrade(app.extensions, load_initial_policy)
