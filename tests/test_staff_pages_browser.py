"""Every staff page at desktop and phone width, in English and in Russian: the chosen
language is the page's, and nothing scrolls sideways at 390 px. Screenshots go to the
test's temporary folder, and also to GATEWAY_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.extensions import db
from gateway.timeutil import today
from tests.admin_support import PASSWORD, make_user
from tests.conftest import DESKTOP_UA, LiveServer
from tests.dashboard_fixtures import fill

PAGES = (
    "/admin",
    "/admin/requests",
    "/admin/consents",
    "/admin/traffic",
    "/admin/forwarded",
    "/admin/policy",
    "/admin/users",
    "/admin/account",
)


def _keep(shot: Path) -> None:
    folder = os.environ.get("GATEWAY_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / shot.name)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_staff_pages_fit_a_phone_in_the_chosen_language(
    app: Flask,
    live_server_factory: Callable[[Flask], LiveServer],
    browser: Any,
    tmp_path: Path,
    lang: str,
) -> None:
    with app.app_context():
        fill(db.session(), today())
    make_user(app, "officer@hottelecom.example", "admin")
    server = live_server_factory(app)
    for width in (1280, 390):
        context = browser.new_context(
            user_agent=DESKTOP_UA,
            viewport={"width": width, "height": 900},
            java_script_enabled=False,
        )
        page = context.new_page()
        page.goto(server.url + "/admin")
        page.fill("#email", "officer@hottelecom.example")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server.url + "/admin")
        # The choice is kept on the account: made once, it holds in the next context too.
        if lang == "ru" and width == 1280:
            page.get_by_role("button", name="Русский").first.click()
            page.wait_for_url(server.url + "/admin")
        too_wide = []
        for path in PAGES:
            response = page.goto(server.url + path)
            assert response is not None
            assert response.status == 200, path
            assert page.locator("html").get_attribute("lang") == lang, path
            label = "Выйти" if lang == "ru" else "Sign out"
            assert page.get_by_role("button", name=label).count() == 1, path
            name = (path.strip("/").replace("/", "-") or "admin") + f"-{lang}-{width}.png"
            page.screenshot(path=str(tmp_path / name), full_page=True)
            _keep(tmp_path / name)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide.append(f"{path}: {scroll}px")
        context.close()
        assert too_wide == [], f"sideways scrolling at {width}px"
