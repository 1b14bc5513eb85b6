"""Consent face: the one-tag banner, the consent API and proof of consent."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from gateway.dbcli import register_after_upgrade
from gateway.retention import Purger, register_purger


def _count_expired(now: datetime) -> int:
    from gateway.consent import services
    from gateway.extensions import db

    return services.count_expired(db.session(), now, current_app.config["CONSENT_RETENTION"])


def _purge_expired(now: datetime, batch: int) -> int:
    from gateway.consent import services
    from gateway.extensions import db

    with db.transaction() as session:
        return services.purge_expired(session, now, current_app.config["CONSENT_RETENTION"], batch)


def _ensure_chain_head() -> None:
    """consent chain head"""
    import sqlalchemy as sa

    from gateway.consent import chain
    from gateway.extensions import db

    try:
        migrated = sa.inspect(db.engine).has_table("consent_chain_head")
    except sa.exc.SQLAlchemyError:
        return  # unreachable: the first decision creates the head anyway
    if not migrated:
        return
    with db.transaction() as session:
        chain.ensure_head(session)


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.admin.dashboard import register_panel
    from gateway.admin.nav import NavEntry, register_nav
    from gateway.apidoc import register_api
    from gateway.consent import openapi, reports, staff_views, subject_data
    from gateway.consent.cli import consent_group
    from gateway.consent.views import bp
    from gateway.extensions import csrf
    from gateway.subject_sources import register_subject_data

    # The API is called cross-origin by the banner; it checks Origin instead of a
    # CSRF token (and a decision needs no cookie of the gateway's).
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(staff_views.bp)
    register_nav(app, NavEntry("consent_staff.overview", "Consents", 20, label_ru="Согласия"))
    register_panel(app, 10, reports.consent_panel)
    register_api(app, openapi.API)
    register_subject_data(
        app, "consent", export=subject_data.export_consent, erase=subject_data.erase_consent
    )
    app.cli.add_command(consent_group)
    register_purger(app, Purger("consent records", _count_expired, _purge_expired))
    register_after_upgrade(app.extensions, _ensure_chain_head)
