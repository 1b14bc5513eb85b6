"""GET /c/<site>.js: one response with banner, CSS, config and texts, within budget."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory
from tests.consent_helpers import config, publish

# SPEC "What the banner enforces on the host page": the one response, gzip -9.
BUDGET = 7168


def _config_of(script: str) -> dict[str, object]:
    """The site configuration the server passes to the banner function."""
    match = re.search(r"\)\((\{\"s\":.*\}),\"", script)
    assert match, script[-400:]
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_script_is_one_gzipped_cacheable_response(client: FlaskClient) -> None:
    response = client.get("/c/hottelecom.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.mimetype == "text/javascript"
    assert len(response.data) <= BUDGET, f"{len(response.data)} bytes gzipped"
    script = gzip.decompress(response.data).decode()
    # Banner code, CSS, the texts of the site's default language, its categories: all in it.
    assert "HotConsent" in script
    assert "attachShadow" in script
    assert "sendBeacon" in script
    assert "prefers-color-scheme:dark" in script
    assert "prefers-reduced-motion" in script
    assert "Принять все" in script
    assert "Отклонить все" in script
    assert "Маркетинг" in script
    # One language per response: the other is another response.
    assert "Accept all" not in script
    # Minified: no comments, no indentation.
    assert "/*" not in script
    assert "\n    " not in script


def test_script_config_matches_the_consent_api(client: FlaskClient) -> None:
    script = client.get("/c/hottelecom.js").data.decode()
    cfg = _config_of(script)
    assert cfg["s"] == "hottelecom"
    assert cfg["l"] == ["ru", "en"]
    # A site with one language has nothing to vary on.
    assert client.get("/c/shop.js").headers["Vary"] == "Accept-Encoding"
    assert cfg["h"] == config(client, "ru")["text_hash"][:16]
    assert list(cfg["t"]) == ["ru"]  # type: ignore[call-overload]
    assert cfg["c"] == ["necessary", "analytics", "marketing"]
    assert cfg["ma"] == 183


def test_one_language_per_response_by_tag_or_browser(client: FlaskClient) -> None:
    """?lang= in the tag decides; without it the browser's languages do (and the response
    varies on them); a language the site lacks falls back to its default."""

    def served(query: str = "", accept: str = "") -> tuple[dict[str, object], str]:
        response = client.get(f"/c/hottelecom.js{query}", headers={"Accept-Language": accept})
        return _config_of(response.data.decode()), response.headers["Vary"]

    cfg, vary = served("?lang=en", "ru-RU,ru")
    assert list(cfg["t"]) == ["en"]  # type: ignore[call-overload]
    assert cfg["h"] == config(client, "en")["text_hash"][:16]
    assert vary == "Accept-Encoding"
    cfg, vary = served("", "en-GB,en;q=0.9")
    assert list(cfg["t"]) == ["en"]  # type: ignore[call-overload]
    assert "Accept-Language" in vary
    cfg, vary = served("", "de-DE")
    assert list(cfg["t"]) == ["ru"]  # type: ignore[call-overload]
    cfg, vary = served("?lang=de", "en")
    assert list(cfg["t"]) == ["en"]  # type: ignore[call-overload]
    assert "Accept-Language" in vary
    assert cfg["l"] == ["ru", "en"]
    # A site with one language has nothing to vary on.
    assert client.get("/c/shop.js").headers["Vary"] == "Accept-Encoding"


def test_strong_etag_and_304(client: FlaskClient) -> None:
    plain = client.get("/c/hottelecom.js")
    zipped = client.get("/c/hottelecom.js", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    assert not plain.headers["ETag"].startswith("W/")
    for response in (plain, zipped):
        again = client.get(
            "/c/hottelecom.js",
            headers={"If-None-Match": response.headers["ETag"], "Accept-Encoding": "gzip"},
        )
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["Cache-Control"] == "public, max-age=300"
    stale = client.get("/c/hottelecom.js", headers={"If-None-Match": '"hc-old"'})
    assert stale.status_code == 200


def test_new_policy_version_changes_script_and_etag(app: Flask, client: FlaskClient) -> None:
    before = client.get("/c/hottelecom.js")
    publish(app, 1, material=True, days_ago=20)
    publish(app, 2, material=False, days_ago=2)
    after = client.get("/c/hottelecom.js")
    assert after.headers["ETag"] != before.headers["ETag"]
    cfg = _config_of(after.data.decode())
    assert (cfg["cv"], cfg["v"]) == (1, 2)


def test_budget_holds_with_reconsent_and_an_upcoming_change(
    app: Flask, client: FlaskClient
) -> None:
    publish(app, 1, material=True, days_ago=300)
    publish(app, 2, material=True, days_ago=30)
    publish(app, 3, material=False, days_ago=3)
    publish(app, 4, material=True, days_ago=-20)
    response = client.get("/c/hottelecom.js", headers={"Accept-Encoding": "gzip"})
    assert len(response.data) <= BUDGET
    script = gzip.decompress(response.data).decode()
    cfg = _config_of(script)
    assert (cfg["cv"], cfg["v"], cfg["up"]) == (2, 3, 4)
    assert "Политика конфиденциальности изменится" in script


def test_unknown_site_is_a_harmless_script(client: FlaskClient) -> None:
    response = client.get("/c/nowhere.js")
    assert response.status_code == 404
    assert response.mimetype == "text/javascript"
    body = response.data.decode()
    assert body.startswith("/*")
    assert body.rstrip().endswith("*/")
    assert "nowhere" in body
    evil = client.get("/c/x*%20alert(1)%20*.js").data.decode()
    assert evil.count("*/") == 1
    assert "alert" not in evil


def test_script_survives_a_database_outage(app_factory: AppFactory, tmp_path: Path) -> None:
    app = app_factory(DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    client = app.test_client()
    response = client.get("/c/hottelecom.js")
    assert response.status_code == 503
    assert response.mimetype == "text/javascript"
    assert response.data.decode().startswith("/*")


def test_budget_holds_for_a_site_using_everything() -> None:
    """The benchmark's site: marketing, three declared cookies, a cookie domain, an accent
    colour, the box layout and overridden titles; re-consent with an upcoming change, in
    each language, measured as the budget says: gzip -9."""
    from dataclasses import replace
    from datetime import date

    from benchmarks.banner_size import SITES_TOML, largest_state
    from gateway.consent import bundle
    from gateway.sites import parse_sites

    site = parse_sites(SITES_TOML)["hottelecom"]
    assert len(site.cookies) == 3
    assert site.cookie_domain
    assert site.accent
    assert site.layout == "box"
    assert site.texts
    site = replace(site, enhanced_measurement=())
    largest = largest_state(date.today())
    for lang in site.languages:
        body = bundle.build(site, largest, 183, lang).body
        assert len(gzip.compress(body, compresslevel=9)) <= BUDGET, lang
