"""/admin/consents in a real Chromium with a month of realistic decisions (screenshots)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.consent import chain, services
from gateway.extensions import db
from gateway.timeutil import today
from tests.conftest import DESKTOP_UA, AppFactory, LiveServer
from tests.contact_support import make_user
from tests.test_contact_browser import assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
DAYS = 30


def _record(
    session: Any, when: datetime, site: str, kind: str, choices: dict[str, bool], **kw: Any
) -> str:
    fields = {
        "consent_id": kw.get("consent_id") or services.new_consent_id(),
        "site": site,
        "kind": kind,
        "source": "gpc" if kind == "gpc" else kw.get("source", "banner"),
        "choices": json.dumps(
            {"necessary": True, **choices}, sort_keys=True, separators=(",", ":")
        ),
        "policy_version": kw.get("policy_version", 1),
        "language": kw.get("language", "ru"),
        "text_hash": None if kind == "withdrawal" else "9f" * 32,
        "browser_family": kw.get("browser", "Chrome"),
    }
    chain.append(session, fields, when)
    return str(fields["consent_id"])


def _month_of_decisions(app: Flask) -> str:
    """About 40 decisions a day on two sites; returns a consent id with a history."""
    rng = random.Random(7)
    start = datetime.combine(today() - timedelta(days=DAYS - 1), datetime.min.time())
    with app.app_context(), db.transaction() as session:
        for day in range(DAYS):
            for _ in range(rng.randint(25, 55)):
                when = start + timedelta(days=day, seconds=rng.randint(0, 86_399))
                site = "hottelecom" if rng.random() < 0.8 else "shop"
                roll = rng.random()
                if roll < 0.55:
                    kind, analytics, marketing = "accept_all", True, True
                elif roll < 0.8:
                    kind, analytics, marketing = "reject_all", False, False
                elif roll < 0.9:
                    kind, analytics, marketing = "custom", True, False
                elif roll < 0.95:
                    kind, analytics, marketing = "gpc", False, rng.random() < 0.3
                elif roll < 0.98:
                    kind, analytics, marketing = "change", rng.random() < 0.5, False
                else:
                    kind, analytics, marketing = "withdrawal", False, False
                choices = {"analytics": analytics}
                if site == "hottelecom":
                    choices["marketing"] = marketing
                elif kind == "custom":
                    kind = "accept_all"  # one optional category: custom cannot happen
                _record(session, when, site, kind, choices)
        first = start + timedelta(days=3, hours=10, minutes=12)
        consent_id = _record(
            session, first, "hottelecom", "accept_all", {"analytics": True, "marketing": True}
        )
        _record(
            session,
            first + timedelta(days=9, hours=2),
            "hottelecom",
            "change",
            {"analytics": True, "marketing": False},
            consent_id=consent_id,
            browser="Firefox",
        )
        _record(
            session,
            first + timedelta(days=20),
            "hottelecom",
            "withdrawal",
            {"analytics": False, "marketing": False},
            consent_id=consent_id,
            source="api",
        )
    return consent_id


def test_consents_page_in_the_browser(
    app_factory: AppFactory,
    live_server_factory: Callable[[Flask], LiveServer],
    browser: Any,
    tmp_path: Path,
) -> None:
    app = app_factory()
    server = live_server_factory(app)
    make_user(app, "staff@hottelecom.example", PASSWORD)
    consent_id = _month_of_decisions(app)
    context = browser.new_context(user_agent=DESKTOP_UA, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    # CSP violations and failed loads show up as console errors (the favicon aside).
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "favicon" not in (m.location or {}).get("url", "")
            else None
        ),
    )
    page.goto(f"{server.url}/admin/consents")
    page.wait_for_url("**/admin/login**")
    page.fill("#email", "staff@hottelecom.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/consents")

    page.fill("#id", consent_id.upper().replace("-", " "))
    page.click("#lookup-form button[type=submit]")
    page.wait_for_selector("#chain-status")
    assert "verifies" in page.inner_text("#chain-status")
    assert page.locator("table.records tbody tr").count() == 3
    assert page.locator("svg.chart").count() == 2
    box = page.locator("svg.chart").first.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    rows = page.locator("#rate-table tbody tr")
    assert rows.count() == 14 + 1  # the default range, then the totals
    page.screenshot(path=str(tmp_path / "consents-desktop.png"), full_page=True)
    assert_accessible(page)

    page.fill("#from", (today() - timedelta(days=DAYS - 1)).isoformat())
    page.select_option("#site", "hottelecom")
    with page.expect_navigation():
        page.click("#rates-form button[type=submit]")
    assert "site=hottelecom" in page.url
    assert page.locator("#rate-table tbody tr").count() == DAYS + 1
    assert "verifies" in page.inner_text("#chain-status")  # the lookup is kept
    page.screenshot(path=str(tmp_path / "consents-month.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "consents-phone.png"), full_page=True)
    assert problems == []
    context.close()
