"""The contact form and the staff queue in a real Chromium (screenshots included)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.contact.models import ContactRequest
from gateway.extensions import db
from gateway.timeutil import utcnow
from tests.conftest import DESKTOP_UA, AppFactory, LiveServer
from tests.contact_support import link_in, make_user, read_mails

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PHONE = {"width": 390, "height": 844}


def assert_accessible(page: Any) -> None:
    """No axe-core violations (labels, contrast, landmarks, ARIA)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    problems = [
        (v["id"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
    ]
    assert problems == []


@pytest.fixture
def served(
    app_factory: AppFactory, live_server_factory: Callable[[Flask], LiveServer]
) -> tuple[Flask, LiveServer]:
    app = app_factory(CONTACT_MIN_FILL_SECONDS=1)
    server = live_server_factory(app)
    app.config["PUBLIC_URL"] = server.url
    return app, server


def test_form_in_the_browser_end_to_end(
    served: tuple[Flask, LiveServer], browser: Any, tmp_path: Path
) -> None:
    app, server = served
    context = browser.new_context(user_agent=DESKTOP_UA, locale="ru-RU")
    page = context.new_page()
    page.goto(f"{server.url}/contact")
    assert page.locator("html").get_attribute("lang") == "ru"
    # Refund fields appear only for refunds.
    assert not page.locator("#contract_number").is_visible()
    page.select_option("#request_type", "refund")
    assert page.locator("#contract_number").is_visible()
    assert not page.locator("#consent_id").is_visible()
    # The honeypot is out of sight (and out of the tab order).
    box = page.locator("#website").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 0
    assert page.locator("#website").get_attribute("tabindex") == "-1"
    page.screenshot(path=str(tmp_path / "contact-ru-desktop.png"), full_page=True)

    # Sent without an e-mail: errors beside the fields, nothing typed is lost.
    page.fill("#contract_number", "HT-2026-001")
    page.fill("#service_date", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#message", "Связь пропадала весь день")
    page.wait_for_timeout(1100)
    page.click("button[type=submit]")
    assert page.locator("#email-error").inner_text() == "Обязательное поле."
    assert page.locator("#message").input_value() == "Связь пропадала весь день"
    assert page.locator("#contract_number").is_visible()
    page.screenshot(path=str(tmp_path / "contact-ru-errors.png"), full_page=True)
    assert_accessible(page)

    page.fill("#email", "browser@example.ru")
    page.wait_for_timeout(1100)
    page.click("button[type=submit]")
    page.wait_for_url("**/contact/sent**")
    assert "Проверьте почту" in page.inner_text("main")
    assert "browser@example.ru" not in page.inner_text("main")
    assert page.locator("a[href*='/contact/status/']").count() == 0
    assert page.locator("[data-refund-window]").count() == 1

    verify = link_in(read_mails(app)[0], "/contact/verify/")
    page.goto(server.url + verify)
    # Opening the link confirms nothing; the button does.
    assert page.locator("[data-confirm]").count() == 1
    assert len(read_mails(app)) == 1
    page.screenshot(path=str(tmp_path / "verify-ru.png"), full_page=True)
    assert_accessible(page)
    page.click("[data-confirm]")
    page.wait_for_url("**/contact/status/**")
    assert "Адрес подтверждён" in page.inner_text("main")
    assert page.locator("[data-status=open]").count() == 1
    page.screenshot(path=str(tmp_path / "status-ru.png"), full_page=True)
    context.close()


@pytest.mark.parametrize(("lang", "viewport"), [("en", None), ("en", PHONE), ("ru", PHONE)])
def test_form_screenshots(
    served: tuple[Flask, LiveServer],
    browser: Any,
    tmp_path: Path,
    lang: str,
    viewport: dict[str, int] | None,
) -> None:
    _app, server = served
    options: dict[str, Any] = {"user_agent": DESKTOP_UA}
    if viewport:
        options["viewport"] = viewport
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(f"{server.url}/contact?lang={lang}")
    # Nothing wider than the screen on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
    name = f"contact-{lang}-{'phone' if viewport else 'desktop'}.png"
    page.screenshot(path=str(tmp_path / name), full_page=True)
    assert_accessible(page)
    for path in ("/contact/sent", "/contact/links"):
        page.goto(f"{server.url}{path}?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
        shot = f"{path.rsplit('/', 1)[1]}-{lang}-{'phone' if viewport else 'desktop'}.png"
        page.screenshot(path=str(tmp_path / shot), full_page=True)
        assert_accessible(page)
    context.close()


def test_staff_sign_in_and_queue_in_the_browser(
    served: tuple[Flask, LiveServer], browser: Any, tmp_path: Path
) -> None:
    app, server = served
    make_user(app, "staff@hottelecom.example", PASSWORD)
    now = utcnow()
    today = date.today()
    with app.app_context(), db.transaction() as session:
        for n, (kind, due, status) in enumerate(
            [
                ("access", today - timedelta(days=2), "open"),
                ("refund", today + timedelta(days=1), "in_progress"),
                ("erase", today + timedelta(days=12), "waiting"),
                ("question", today + timedelta(days=20), "open"),
            ]
        ):
            session.add(
                ContactRequest(
                    email=f"person{n}@example.ru",
                    request_type=kind,
                    status=status,
                    due_date=due,
                    created_at=now,
                    verified_at=now,
                    refund_in_window=True if kind == "refund" else None,
                    service_date=today if kind == "refund" else None,
                    contract_number="HT-7" if kind == "refund" else "",
                )
            )
    context = browser.new_context(user_agent=DESKTOP_UA)
    page = context.new_page()
    page.goto(f"{server.url}/admin/requests")
    page.wait_for_url("**/admin/login**")
    page.fill("#email", "staff@hottelecom.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/requests")
    cookies = {c["name"]: c for c in context.cookies()}
    session_cookie = cookies["__Host-session"]
    assert session_cookie["secure"]
    assert session_cookie["httpOnly"]
    assert session_cookie["sameSite"] == "Lax"
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 4
    assert "overdue" in (rows.nth(0).get_attribute("class") or "")
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    assert_accessible(page)
    page.click("table.queue tbody tr:nth-child(2) a")
    page.wait_for_selector("text=Audit log")
    page.fill("#text-reply", "We are checking the connection logs for that day.")
    page.click("text=Send reply")
    page.wait_for_selector("text=Reply sent to the requester.")
    assert "We are checking the connection logs" in page.inner_text("ol.thread")
    assert "replied" in page.inner_text("table.audit")
    page.screenshot(path=str(tmp_path / "request-detail.png"), full_page=True)
    assert_accessible(page)
    page.click("text=Sign out")
    page.wait_for_url("**/admin/login")
    context.close()


WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": PHONE}


def test_request_cards_and_the_delivered_data_at_desktop_and_phone_width(
    served: tuple[Flask, LiveServer], browser: Any, tmp_path: Path
) -> None:
    from gateway.contact import deadlines, notifications

    app, server = served
    make_user(app, "staff@hottelecom.example", PASSWORD)
    now = utcnow()
    ids: dict[str, int] = {}
    with app.app_context(), db.transaction() as session:
        for kind, status, consent_id in [
            ("erase", "open", ""),
            ("withdraw-consent", "open", "abcd-efgh-ijkl-mnop"),
            ("access", "completed", ""),
        ]:
            row = ContactRequest(
                email=f"{kind}@example.ru",
                name="Анна Петрова",
                request_type=kind,
                status=status,
                language="ru",
                consent_id=consent_id,
                due_date=deadlines.due_date(deadlines.moscow_date(now), "30d"),
                created_at=now,
                verified_at=now,
                closed_at=now if status == "completed" else None,
            )
            session.add(row)
            session.flush()
            ids[kind] = row.id
    with app.test_request_context():
        access = db.session.get(ContactRequest, ids["access"])
        assert access is not None
        status_path = "/contact/status/" + notifications.status_token(access)
    for width, viewport in WIDTHS.items():
        context = browser.new_context(user_agent=DESKTOP_UA, viewport=viewport)
        page = context.new_page()
        page.goto(f"{server.url}/admin/login")
        page.fill("#email", "staff@hottelecom.example")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin")
        page.goto(f"{server.url}/admin/requests/{ids['erase']}")
        assert "30 calendar days from receipt" in page.inner_text("[data-due-rule] >> nth=0")
        danger = page.locator("form.danger-zone button")
        assert danger.count() == 1
        colour = danger.evaluate("b => getComputedStyle(b).backgroundColor")
        assert colour in ("rgb(185, 28, 28)", "rgb(248, 113, 113)")
        assert page.locator(f"form[action$='/{ids['erase']}/complete']").count() == 0
        page.screenshot(path=str(tmp_path / f"staff-erase-{width}.png"), full_page=True)
        page.goto(f"{server.url}/admin/requests/{ids['withdraw-consent']}")
        assert page.locator("[data-withdrawal=unknown]").count() == 1
        page.screenshot(path=str(tmp_path / f"staff-withdraw-{width}.png"), full_page=True)
        page.goto(f"{server.url}/admin/requests/{ids['access']}")
        assert page.locator("[data-data-until]").count() == 1
        # The audit log scrolls inside its box; the page itself never sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=str(tmp_path / f"staff-access-{width}.png"), full_page=True)
        page.goto(server.url + status_path)
        assert page.locator("[data-download] a").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=str(tmp_path / f"status-access-{width}.png"), full_page=True)
        assert_accessible(page)
        with page.expect_download() as download:
            page.click("[data-download] a >> nth=0")
        assert download.value.suggested_filename == f"hottelecom-data-{ids['access']}.json"
        context.close()
