"""The policy in a real browser: readable without JavaScript, nothing blocked by the CSP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.conftest import DESKTOP_UA, LiveServer

pytestmark = pytest.mark.browser


def test_policy_reads_without_javascript(
    app_factory: Callable[..., Flask],
    live_server_factory: Callable[[Flask], LiveServer],
    browser: Any,
) -> None:
    server = live_server_factory(app_factory(CONTACT_EMAIL="dpo@hottelecom.example"))
    context = browser.new_context(user_agent=DESKTOP_UA, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/privacy?lang=en")
    mail = page.locator("a[href='mailto:dpo@hottelecom.example']").first
    assert mail.is_visible()
    assert mail.inner_text() == "dpo@hottelecom.example"
    assert page.locator("a[href='tel:+74959883345']").inner_text() == "+7 495 988 3345"
    page.locator("nav.toc a[href='#s6']").click()
    assert page.url.endswith("#s6")
    assert page.locator("#s6").is_visible()
    page.locator(".policy-body a[href='/contact']").wait_for()
    context.close()


def test_policy_pages_load_every_resource_under_the_csp(
    app: Flask, live_server_factory: Callable[[Flask], LiveServer], browser: Any
) -> None:
    server = live_server_factory(app)
    context = browser.new_context(user_agent=DESKTOP_UA)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("requestfailed", lambda request: problems.append(request.url))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and not response.url.endswith("/favicon.ico")
            else None
        ),
    )
    for path in ("/privacy?lang=ru", "/privacy/versions", "/privacy/diff/1/1", "/privacy/v/1"):
        response = page.goto(f"{server.url}{path}")
        assert response is not None
        assert response.status == 200
    # The policy stylesheet applied: the table of contents sits beside the text.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{server.url}/privacy")
    toc = page.locator("nav.toc").bounding_box()
    body = page.locator(".policy-body").bounding_box()
    assert toc is not None
    assert body is not None
    assert toc["x"] + toc["width"] <= body["x"]
    assert problems == []
    context.close()
