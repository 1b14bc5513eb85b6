"""A gateway with one of everything, for the security tests that walk every route.

``World`` holds a consent, a data-subject request (with its e-mailed links), a
signed-in admin and a public visitor, so every GET route of the url_map can be
called with real arguments and answer with its real page, not a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from gateway.contact.models import ContactRequest
from gateway.extensions import db
from tests.conftest import DESKTOP_UA
from tests.consent_helpers import ORIGIN, decide
from tests.contact_support import (
    browser_like_client,
    confirm,
    link_in,
    login,
    make_user,
    read_mails,
    submit_contact,
)

ADMIN_EMAIL = "security-admin@hottelecom.example"
ADMIN_PASSWORD = "correct horse battery staple"

# Blueprints whose pages are for signed-in staff only.
STAFF_BLUEPRINTS = (
    "admin",
    "consent_staff",
    "contact_staff",
    "policy_staff",
    "analytics_staff",
    "analytics_traffic",
)


@dataclass
class World:
    app: Flask
    visitor: FlaskClient
    staff: FlaskClient
    consent_id: str
    consent_token: str
    request_id: int
    sent_path: str
    verify_path: str
    status_path: str


def build_world(app: Flask) -> World:
    visitor = browser_like_client(app)
    decision = decide(visitor, {"analytics": True})
    assert decision.status_code == 201, decision.data
    consent = decision.get_json()

    sent = submit_contact(
        visitor, email="ivan@example.ru", request_type="access", message="Пришлите мои данные"
    )
    assert sent.status_code == 303, sent.data
    verify_path = link_in(read_mails(app)[0], "/contact/verify/")
    verified = confirm(visitor, verify_path)
    assert verified.status_code == 303
    with app.app_context():
        request_id = db.session.scalar(sa.select(ContactRequest.id))
    assert request_id is not None

    make_user(app, ADMIN_EMAIL, ADMIN_PASSWORD, "admin")
    staff = browser_like_client(app)
    assert login(staff, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    return World(
        app=app,
        visitor=visitor,
        staff=staff,
        consent_id=consent["consent_id"],
        consent_token=consent["token"],
        request_id=request_id,
        sent_path=sent.headers["Location"],
        verify_path=verify_path,
        status_path=verified.headers["Location"],
    )


GTAG_QUERY = urlencode(
    {
        "v": "2",
        "tid": "G-TEST000001",
        "cid": "123.456",
        "en": "page_view",
        "dl": "https://hottelecom.example/tariffs",
    }
)


@dataclass(frozen=True)
class Sample:
    """How to call one GET endpoint: path, extra headers, and the status it answers."""

    path: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()


def samples(world: World) -> dict[str, Sample]:
    """One real call per GET endpoint of the app; a new endpoint must be added here."""
    bearer = (("Authorization", f"Bearer {world.consent_token}"),)
    return {
        "ops.index": Sample("/"),
        "ops.demo": Sample("/demo"),
        "ops.healthz": Sample("/healthz"),
        "ops.readyz": Sample("/readyz"),
        "ops.metrics": Sample("/metrics"),
        "ops.openapi": Sample("/api/v1/openapi.json"),
        "ops.favicon": Sample("/favicon.ico"),
        "static": Sample("/static/css/site.css"),
        "policy.current": Sample("/privacy?lang=ru"),
        "policy.versions": Sample("/privacy/versions"),
        "policy.version": Sample("/privacy/v/1"),
        "policy.diff": Sample("/privacy/diff/1/1"),
        "policy.feed": Sample("/privacy/feed.atom"),
        "policy.api_current": Sample("/api/v1/policy"),
        "policy.api_version": Sample("/api/v1/policy/1"),
        "consent.banner_script": Sample("/c/hottelecom.js"),
        "consent.consent_config": Sample("/api/v1/sites/hottelecom/consent-config?lang=en"),
        "consent.get_consent": Sample(f"/api/v1/consent/{world.consent_id}", headers=bearer),
        "analytics.gtag_collect": Sample(
            f"/g/collect?{GTAG_QUERY}", 204, (("User-Agent", DESKTOP_UA), ("Origin", ORIGIN))
        ),
        "contact.form": Sample("/contact?lang=en"),
        "contact.sent": Sample(world.sent_path),
        "contact.verify": Sample(world.verify_path),
        "contact.links": Sample("/contact/links?lang=en"),
        "contact.download": Sample("/contact/data/not-a-token.json", 400),
        "contact.status": Sample(world.status_path),
        "admin.login": Sample("/admin/login"),
        "admin.index": Sample("/admin"),
        "analytics_staff.forwarded_page": Sample("/admin/forwarded"),
        "analytics_traffic.traffic_page": Sample("/admin/traffic"),
        "analytics_traffic.traffic_csv": Sample("/admin/traffic/export.csv"),
        "policy_staff.page": Sample("/admin/policy"),
        "admin.users_page": Sample("/admin/users"),
        "admin.account_page": Sample("/admin/account"),
        "consent_staff.overview": Sample(f"/admin/consents?id={world.consent_id}"),
        "consent_staff.records_json": Sample(f"/admin/consents/{world.consent_id}.json"),
        "contact_staff.queue": Sample("/admin/requests"),
        "contact_staff.detail": Sample(f"/admin/requests/{world.request_id}"),
        "contact_staff.export": Sample(f"/admin/requests/{world.request_id}/export.csv"),
    }


def get_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())]


def client_for(world: World, endpoint: str) -> FlaskClient:
    """Staff pages are fetched signed in (the login page itself as a visitor)."""
    if endpoint.split(".")[0] in STAFF_BLUEPRINTS and endpoint != "admin.login":
        return world.staff
    return world.visitor


def parse_csp(header: str) -> dict[str, list[str]]:
    policy: dict[str, list[str]] = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            policy[tokens[0].lower()] = tokens[1:]
    return policy


NONCE = re.compile(r"'nonce-([A-Za-z0-9_\-+/=]+)'")
