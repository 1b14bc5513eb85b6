"""The staff pages in a real browser: sign in, dashboard, what Google receives, light and dark.

Screenshots go to the test's temporary folder, and also to GATEWAY_SCREENSHOT_DIR
when it is set (to look at them).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.extensions import db
from gateway.timeutil import today
from tests.admin_support import PASSWORD, make_user
from tests.conftest import DESKTOP_UA, LiveServer
from tests.dashboard_fixtures import fill


def _keep(shot: Path) -> None:
    folder = os.environ.get("GATEWAY_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


@pytest.fixture
def filled_app(app: Flask) -> Flask:
    with app.app_context():
        fill(db.session(), today())
    make_user(app, "officer@hottelecom.example", "admin")
    make_user(app, "agent@hottelecom.example", "staff")
    return app


def _sign_in(page: Any, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/admin")
    assert "/admin/login" in page.url
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/admin")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dashboard_and_forwarded_pages_render_without_script(
    filled_app: Flask,
    live_server_factory: Callable[[Flask], LiveServer],
    browser: Any,
    tmp_path: Path,
    scheme: str,
) -> None:
    server = live_server_factory(filled_app)
    context = browser.new_context(
        user_agent=DESKTOP_UA,
        color_scheme=scheme,
        viewport={"width": 1280, "height": 900},
        java_script_enabled=False,
    )
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Refused" in msg.text else None)
    _sign_in(page, server, "officer@hottelecom.example")

    charts = page.locator("svg.chart")
    assert charts.count() >= 4
    assert charts.first.is_visible()
    box = charts.first.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    overdue = page.locator("#panel-requests .figures li", has_text="overdue")
    assert overdue.locator(".value").inner_text() == "2"
    assert "tone-bad" in (overdue.get_attribute("class") or "")
    nav = page.locator(".site-header nav")
    for label in ("Dashboard", "Requests", "What Google receives", "Policy", "Users"):
        assert nav.get_by_role("link", name=label).count() == 1
    shot = tmp_path / f"dashboard-{scheme}.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot)

    nav.get_by_role("link", name="What Google receives").click()
    page.wait_for_url("**/admin/forwarded")
    assert page.locator("pre.payload").count() >= 10
    assert "test-api-secret" not in page.content()
    assert page.get_by_role("button", name="Retry all 3 dead letters").count() == 1
    shot = tmp_path / f"forwarded-{scheme}.png"
    page.screenshot(path=str(shot))
    _keep(shot)
    page.locator("#requests-title").scroll_into_view_if_needed()
    shot = tmp_path / f"forwarded-payloads-{scheme}.png"
    page.screenshot(path=str(shot))
    _keep(shot)
    assert refused == []
    context.close()


def test_staff_member_sees_no_admin_entries(
    filled_app: Flask, live_server_factory: Callable[[Flask], LiveServer], browser: Any
) -> None:
    server = live_server_factory(filled_app)
    context = browser.new_context(user_agent=DESKTOP_UA)
    page = context.new_page()
    _sign_in(page, server, "agent@hottelecom.example")
    nav = page.locator(".site-header nav")
    assert nav.get_by_role("link", name="Requests").count() == 1
    assert nav.get_by_role("link", name="Users").count() == 0
    assert nav.get_by_role("link", name="Policy").count() == 0
    page.goto(server.url + "/admin/forwarded")
    assert page.get_by_role("button", name="Retry all 3 dead letters").count() == 0
    response = page.goto(server.url + "/admin/users")
    assert response is not None
    assert response.status == 403
    assert "for the admin role" in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/login")
    context.close()


def test_admin_previews_and_publishes_a_policy_version(
    filled_app: Flask,
    live_server_factory: Callable[[Flask], LiveServer],
    browser: Any,
    tmp_path: Path,
) -> None:
    server = live_server_factory(filled_app)
    context = browser.new_context(
        user_agent=DESKTOP_UA, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    _sign_in(page, server, "officer@hottelecom.example")
    page.locator(".site-header nav").get_by_role("link", name="Policy").click()
    page.wait_for_url("**/admin/policy")
    text = page.input_value("#text")
    page.fill("#text", text.replace("personal", "individual", 1))
    effective = (today() + timedelta(days=20)).isoformat()
    page.fill("#effective", effective)
    page.fill("#summary", "Clearer wording in the introduction.")
    page.get_by_role("button", name="Preview").click()
    page.wait_for_url("**/admin/policy/preview#preview")
    assert page.locator(".policy-diff ins", has_text="individual").count() == 1
    assert page.locator(".policy-diff del", has_text="personal").count() == 1
    shot = tmp_path / "policy-preview.png"
    page.screenshot(path=str(shot))  # scrolled to #preview
    _keep(shot)
    page.get_by_role("button", name="Publish version 2").last.click()
    page.wait_for_url("**/admin/policy")
    assert "Published version 2" in page.content()
    page.goto(server.url + "/privacy/versions")
    assert "Clearer wording in the introduction." in page.content()
    context.close()
