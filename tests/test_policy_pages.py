"""Policy pages, feed and JSON API on every database."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.extensions import db
from gateway.policy.store import add_translation, publish_version, version_records
from tests.conftest import TEST_SITES_TOML, AppFactory

ATOM = "{http://www.w3.org/2005/Atom}"
TODAY = datetime(2026, 11, 25, 12, 0)

V2 = """\
# Privacy Policy

## Privacy Statement {#statement}

In the context of this confidentiality agreement HotTelecom, its parent-companies and \
subsidiaries hereinafter referred to as the Contractor. \
HotTelecom users hereinafter referred to as Customers.

## 4. Changes in the personal data {#s4}

Requests to update or delete a personal data will be satisfied \
within 10 working days after receiving. \
Write to [{{contact_email}}](mailto:{{contact_email}}).

## 8. Analytics {#s8}

Only impersonal statistics reach Google Analytics.
"""


@pytest.fixture(autouse=True)
def frozen_today() -> object:
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


def publish(
    app: Flask,
    text: str = V2,
    effective: date = date(2027, 1, 15),
    summary: str = "Requests answered in 10 working days; analytics section",
    material: bool = True,
    lang: str = "en",
) -> int:
    with app.app_context(), db.transaction() as session:
        return publish_version(
            session, text=text, lang=lang, effective=effective, summary=summary, material=material
        )


def page(client: FlaskClient, url: str, **kwargs: object) -> str:
    response = client.get(url, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_current_policy_is_version_one_with_its_links(app_factory: AppFactory) -> None:
    client = app_factory(CONTACT_EMAIL="dpo@hottelecom.example").test_client()
    html = page(client, "/privacy")
    assert "<h1>Privacy Policy</h1>" in html
    assert "Version 1" in html
    assert '<time datetime="2026-01-01">1 January 2026</time>' in html
    assert html.count('href="mailto:dpo@hottelecom.example"') == 2
    assert "privacy@hottelecom.example" not in html
    assert 'href="tel:+74959883345"' in html
    assert 'href="/contact"' in html
    assert "You need JavaScript enabled" not in html
    # Anchored sections and a table of contents pointing at them.
    for anchor in ("statement", "s1", "s4", "s7"):
        assert f'id="{anchor}"' in html
        assert f'<a href="#{anchor}">' in html
    # No inline styles or scripts: the page CSP would block them.
    assert "style=" not in html
    assert "<script" not in html


def test_changing_the_contact_setting_changes_the_page(app_factory: AppFactory) -> None:
    first = page(app_factory(CONTACT_EMAIL="one@hottelecom.example").test_client(), "/privacy")
    second = page(app_factory(CONTACT_EMAIL="two@hottelecom.example").test_client(), "/privacy")
    assert "mailto:one@hottelecom.example" in first
    assert "mailto:two@hottelecom.example" in second
    assert "one@hottelecom.example" not in second


def test_language_from_query_then_accept_language(client: FlaskClient) -> None:
    ru = client.get("/privacy?lang=ru")
    html = ru.get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "<h1>Политика конфиденциальности</h1>" in html
    assert "Действует с <time" in html
    assert "1 января 2026 г." in html
    assert "1. Собираемая информация" in html
    assert ru.headers["Content-Language"] == "ru"
    assert "Accept-Language" in ru.headers["Vary"]

    by_header = page(client, "/privacy", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert "<h1>Политика конфиденциальности</h1>" in by_header
    english = page(client, "/privacy", headers={"Accept-Language": "de-DE,fr;q=0.8"})
    assert "<h1>Privacy Policy</h1>" in english
    query_wins = page(client, "/privacy?lang=en", headers={"Accept-Language": "ru"})
    assert "<h1>Privacy Policy</h1>" in query_wins


def test_missing_translation_falls_back_to_english(app: Flask, client: FlaskClient) -> None:
    number = publish(app, effective=date(2026, 11, 25))
    html = page(client, "/privacy?lang=ru")
    assert f"Version {number}" in html
    assert "<h1>Privacy Policy</h1>" in html
    assert "нет текста на вашем языке" in html


def test_versions_page_lists_every_version(app: Flask, client: FlaskClient) -> None:
    publish(app)
    html = page(client, "/privacy/versions")
    assert "Privacy policy versions" in html
    assert "Initial version" in html
    assert "Requests answered in 10 working days; analytics section" in html
    assert "15 January 2027" in html
    assert "1 January 2026" in html
    assert 'href="/privacy/v/2?lang=en"' in html
    assert 'href="/privacy/diff/1/2?lang=en"' in html
    assert "badge-current" in html
    assert "badge-upcoming" in html
    ru = page(client, "/privacy/versions?lang=ru")
    assert "Первая редакция" in ru  # the Russian summary of version 1


def test_a_given_version_and_its_status(app: Flask, client: FlaskClient) -> None:
    publish(app, effective=date(2026, 11, 25))
    old = page(client, "/privacy/v/1")
    assert (
        "This is version 1, in effect from 1 January 2026 until a newer version replaced it "
        "on 25 November 2026." in old
    )
    old_ru = page(client, "/privacy/v/1?lang=ru")
    assert "пока её не заменила более новая редакция 25 ноября 2026 г.</p>" in old_ru
    assert 'href="/privacy/diff/1/2?lang=en"' in old
    new = page(client, "/privacy/v/2")
    assert "badge-current" in new
    assert "Only impersonal statistics reach Google Analytics." in new


def test_unknown_versions_are_404_pages(client: FlaskClient) -> None:
    huge = "9" * 30
    for url in (
        "/privacy/v/99",
        "/privacy/diff/1/99",
        "/privacy/diff/99/1",
        "/privacy/v/abc",
        "/privacy/v/-1",
        f"/privacy/v/{huge}",
        f"/privacy/diff/1/{huge}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.mimetype == "text/html"
    assert "There is no version 99" in client.get("/privacy/v/99").get_data(as_text=True)


def test_unknown_versions_are_json_404_in_the_api(client: FlaskClient) -> None:
    assert client.get(f"/api/v1/policy/{'9' * 30}").status_code == 404
    assert client.get("/api/v1/policy/x").get_json()["error"]["code"] == "not_found"
    response = client.get("/api/v1/policy/99")
    assert response.status_code == 404
    assert response.get_json()["error"] == {
        "code": "not_found",
        "message": "There is no version 99 of the privacy policy.",
    }


def test_diff_page_marks_insertions_and_deletions(app: Flask, client: FlaskClient) -> None:
    publish(app)
    html = page(client, "/privacy/diff/1/2")
    assert "Changes between version 1 and version 2" in html
    assert "<del>30</del><ins>10 working</ins>" in html
    assert "<ins>8. Analytics</ins>" in html
    assert "<ins>Only impersonal statistics reach Google Analytics.</ins>" in html
    assert "<del>1. Collected information</del>" in html  # section removed in version 2
    assert "section removed" in html
    assert "new section" in html
    assert "Requests answered in 10 working days" in html
    # Unchanged sections are folded away but still readable.
    assert '<details class="diff-unchanged">' in html
    ru = page(client, "/privacy/diff/1/2?lang=ru")  # version 2 has English only
    assert "<del>30</del>" in ru


def test_diff_of_a_version_with_itself_says_so(client: FlaskClient) -> None:
    assert "The two versions have the same text." in page(client, "/privacy/diff/1/1")


def test_feed_is_atom_with_one_entry_per_version(app: Flask, client: FlaskClient) -> None:
    publish(app)
    response = client.get("/privacy/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "http://localhost/privacy/feed.atom"
    assert root.findtext(f"{ATOM}title")
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    self_link = root.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None
    assert self_link.get("href", "").startswith("http://localhost/")
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        "http://localhost/privacy/v/2",
        "http://localhost/privacy/v/1",
    ]
    for entry in entries:
        updated = entry.findtext(f"{ATOM}updated") or ""
        assert datetime.strptime(updated, "%Y-%m-%dT%H:%M:%SZ")
        assert entry.findtext(f"{ATOM}title")
        alternate = entry.find(f"{ATOM}link[@rel='alternate']")
        assert alternate is not None
        assert alternate.get("href", "").startswith("http://localhost/privacy/v/")
    newest = entries[0]
    assert newest.findtext(f"{ATOM}updated") == "2026-11-25T12:00:00Z"
    related = newest.find(f"{ATOM}link[@rel='related']")
    assert related is not None
    assert related.get("href") == "http://localhost/privacy/diff/1/2?lang=en"
    assert "15 January 2027" in (newest.findtext(f"{ATOM}summary") or "")
    latest = max(e.findtext(f"{ATOM}updated") or "" for e in entries)
    assert root.findtext(f"{ATOM}updated") == latest


def test_feed_answers_304_until_it_changes(app: Flask, client: FlaskClient) -> None:
    first = client.get("/privacy/feed.atom")
    etag = first.headers["ETag"]
    assert client.get("/privacy/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    publish(app)
    again = client.get("/privacy/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert b"/privacy/v/2" in again.data


def test_feed_uses_the_public_url(app_factory: AppFactory) -> None:
    client = app_factory(PUBLIC_URL="https://privacy.hottelecom.example/").test_client()
    root = ET.fromstring(client.get("/privacy/feed.atom?lang=ru").data)
    assert root.findtext(f"{ATOM}id") == "https://privacy.hottelecom.example/privacy/feed.atom"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entry.findtext(f"{ATOM}title") == "Редакция 1: Первая редакция"


def test_api_current_policy(app_factory: AppFactory) -> None:
    client = app_factory(CONTACT_EMAIL="dpo@hottelecom.example").test_client()
    data = client.get("/api/v1/policy?lang=ru").get_json()
    assert data["number"] == 1
    assert data["status"] == "current"
    assert data["effective_date"] == "2026-01-01"
    assert data["material"] is True
    assert data["summary"] == "Первая редакция"
    assert data["languages"] == ["en", "ru"]
    assert data["lang"] == "ru"
    assert data["title"] == "Политика конфиденциальности"
    assert "[dpo@hottelecom.example](mailto:dpo@hottelecom.example)" in data["markdown"]
    assert 'href="mailto:dpo@hottelecom.example"' in data["html"]
    assert data["links"]["html"] == "http://localhost/privacy/v/1?lang=ru"
    assert data["links"]["diff_previous"] is None
    assert data["upcoming"] == []
    english = client.get("/api/v1/policy", headers={"Accept-Language": "en"}).get_json()
    assert english["lang"] == "en"
    assert english["summary"] == "Initial version"


def test_api_announces_upcoming_versions(app: Flask, client: FlaskClient) -> None:
    publish(app)
    data = client.get("/api/v1/policy").get_json()
    assert data["number"] == 1
    (upcoming,) = data["upcoming"]
    assert upcoming["number"] == 2
    assert upcoming["effective_date"] == "2027-01-15"
    assert upcoming["links"]["diff"] == "http://localhost/privacy/diff/1/2"
    two = client.get("/api/v1/policy/2").get_json()
    assert two["status"] == "upcoming"
    assert two["languages"] == ["en"]
    assert two["links"]["diff_previous"] == "http://localhost/privacy/diff/1/2?lang=en"


def test_hostile_markup_in_a_published_policy_is_neutralised(
    app: Flask, client: FlaskClient
) -> None:
    hostile = (
        "## 1. Hello {#s1}\n\n<script>alert('x')</script>\n\n"
        '<img src=x onerror="alert(1)"> [win a prize](javascript:alert(2))\n'
    )
    publish(app, text=hostile, effective=date(2026, 11, 25))
    for body in (
        client.get("/privacy").get_data(as_text=True),
        client.get("/api/v1/policy").get_json()["html"],
    ):
        lowered = body.lower()
        assert "alert(" not in lowered
        assert "onerror" not in lowered
        assert "javascript:" not in lowered
        assert "win a prize" in body


def test_publish_announces_then_becomes_current_on_its_date(
    app: Flask, client: FlaskClient, frozen_today: time_machine.Traveller
) -> None:
    publish(app, effective=date(2027, 1, 15))
    before = page(client, "/privacy")
    assert "Version 1" in before
    assert "An updated privacy policy (version 2) takes effect on 15 January 2027." in before
    assert 'href="/privacy/diff/1/2?lang=en"' in before
    ru = page(client, "/privacy?lang=ru")
    assert "вступает в силу 15 января 2027 г." in ru

    frozen_today.move_to(datetime(2027, 1, 14, 23, 59))
    assert "takes effect on 15 January 2027" in page(client, "/privacy")

    frozen_today.move_to(datetime(2027, 1, 15, 0, 1))
    after = page(client, "/privacy")
    assert "Version 2" in after
    assert "takes effect on" not in after
    assert "Only impersonal statistics reach Google Analytics." in after
    assert client.get("/api/v1/policy").get_json()["number"] == 2


def test_translation_added_to_an_upcoming_version(app: Flask, client: FlaskClient) -> None:
    number = publish(app)
    with app.app_context(), db.transaction() as session:
        add_translation(
            session,
            number=number,
            text="# Политика\n\n## 8. Аналитика {#s8}\n\nТолько обезличенная статистика.\n",
            lang="ru",
            summary="Ответ на запросы за 10 рабочих дней",
        )
    html = page(client, f"/privacy/v/{number}?lang=ru")
    assert "<h1>Политика</h1>" in html
    assert "Только обезличенная статистика." in html
    notice = page(client, "/privacy?lang=ru")
    assert "Ответ на запросы за 10 рабочих дней" in notice
    with app.app_context():
        (_one, two) = version_records(db.session())
    assert two.languages == ("en", "ru")


def test_no_policy_at_all_is_a_404_not_an_error(app: Flask, client: FlaskClient) -> None:
    from gateway.policy.models import PolicyVersion

    with app.app_context(), db.transaction() as session:
        session.query(PolicyVersion).delete()
    assert client.get("/privacy").status_code == 404
    assert client.get("/api/v1/policy").get_json()["error"]["code"] == "not_found"
    assert client.get("/privacy/versions").status_code == 200
    root = ET.fromstring(client.get("/privacy/feed.atom").data)
    assert root.findall(f"{ATOM}entry") == []


SHOP_COOKIES_TOML = """
[[sites.shop.cookies]]
category = "analytics"
name = "_ga*"
provider = "Google Analytics"
expires = "2 years"
purpose = {ru = "Различает посетителей.", en = "Tells visitors apart."}

[[sites.shop.cookies]]
category = "necessary"
name = "cart"
provider = "HotTelecom Shop"
expires = "session"
purpose = {en = "Keeps the basket."}
"""


def test_privacy_page_lists_a_sites_declared_cookies_by_category(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(TEST_SITES_TOML + SHOP_COOKIES_TOML, encoding="utf-8")
    client = app_factory(SITES_FILE=str(sites)).test_client()
    html = page(client, "/privacy?site=shop&lang=ru")
    section = html[html.index('<section class="cookie-table"') :]
    assert "Файлы cookie на сайте HotTelecom Shop" in section
    # Grouped by category, in the site's order, with the purpose in the page's language.
    necessary = section.index("<caption>Необходимые")
    analytics = section.index("<caption>Аналитика")
    assert necessary < section.index("<code>cart</code>") < analytics
    assert analytics < section.index("<code>_ga*</code>")
    assert "Различает посетителей." in section
    assert "Tells visitors apart." not in section
    assert "Keeps the basket." in section  # no Russian purpose: the one there is
    # A site that declares none shows no table; every site's tables without ?site=.
    assert "cookie-table" not in page(client, "/privacy?site=hottelecom")
    assert "HotTelecom Shop" in page(client, "/privacy?lang=en")
    missing = client.get("/privacy?site=nope")
    assert missing.status_code == 404


def test_language_switch_keeps_the_site_of_the_cookie_table(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    import html as html_lib
    import re

    sites = tmp_path / "sites.toml"
    sites.write_text(
        TEST_SITES_TOML
        + SHOP_COOKIES_TOML
        + SHOP_COOKIES_TOML.replace("sites.shop.", "sites.hottelecom.").replace(
            '"cart"', '"basket_hot"'
        ),
        encoding="utf-8",
    )
    client = app_factory(SITES_FILE=str(sites)).test_client()
    html = page(client, "/privacy?site=shop&lang=ru")
    switch = html[html.index('<ul class="lang-switch"') :]
    found = re.search(r'<a href="([^"]+)" hreflang="en"', switch)
    assert found
    href = html_lib.unescape(found.group(1))
    assert "site=shop" in href
    assert "lang=en" in href
    english = page(client, href)
    assert '<html lang="en"' in english
    assert "<code>cart</code>" in english
    assert "basket_hot" not in english  # only the site's table, as before the switch
    # Without ?site= (every site's tables) the switch adds none.
    everything = page(client, "/privacy?lang=ru")
    assert "basket_hot" in everything
    assert "<code>cart</code>" in everything
    switch = everything[everything.index('<ul class="lang-switch"') :]
    assert "site=" not in switch[: switch.index("</ul>")]
