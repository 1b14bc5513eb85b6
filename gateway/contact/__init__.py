"""Contact face: the /contact form, verification, status pages and the staff queue."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from gateway import mail
from gateway.retention import Purger, register_purger


def _count_purgeable(now: datetime) -> int:
    from gateway.contact import services
    from gateway.extensions import db

    return services.count_purgeable(db.session(), now, current_app.config["REQUEST_RETENTION"])


def _purge(now: datetime, batch: int) -> int:
    from gateway.contact import services
    from gateway.extensions import db

    return services.purge(db.session(), now, current_app.config["REQUEST_RETENTION"], batch)


def _count_link_mails(now: datetime) -> int:
    from gateway.contact import notifications
    from gateway.extensions import db

    return notifications.count_link_mails(db.session(), now)


def _purge_link_mails(now: datetime, batch: int) -> int:
    from gateway.contact import notifications
    from gateway.extensions import db

    return notifications.purge_link_mails(db.session(), now, batch)


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
    from gateway.admin.dashboard import register_panel
    from gateway.admin.nav import NavEntry, register_nav
    from gateway.contact import gauges, reports, staff_views, subject_data, views
    from gateway.subject_sources import register_subject_data

    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
    register_nav(app, NavEntry("contact_staff.queue", "Requests", 10, label_ru="Обращения"))
    # First on the dashboard: deadlines are what staff must act on.
    register_panel(app, 5, reports.requests_panel)
    gauges.register_all(app)
    mail.init_app(app)
    register_subject_data(
        app, "contact", export=subject_data.export_contact, erase=subject_data.erase_contact
    )
    register_purger(
        app,
        Purger(
            "contact requests (closed past REQUEST_RETENTION, unverified after 30 days)",
            _count_purgeable,
            _purge,
        ),
    )
    register_purger(
        app,
        Purger(
            "counts of request mails per address (after a day)",
            _count_link_mails,
            _purge_link_mails,
        ),
    )
