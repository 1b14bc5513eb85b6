"""Per-site look and words in the sites file: accent colour, layout, text overrides;
their validation (also by `gateway config`), the consent-config and bundle carrying them,
and the text hash recorded with a decision covering the words actually shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from gateway import cli
from gateway.consent import bundle
from gateway.consent.texts import BANNER_TEXTS, text_hash
from gateway.policy.versions import state
from gateway.sites import BANNER_TEXT_KEYS, SitesError, contrast, parse_sites
from tests.conftest import TEST_SITES_TOML, AppFactory
from tests.consent_helpers import config, records

BASE = """
[sites.hottelecom]
origins = ["https://hottelecom.example"]
languages = ["ru", "en"]
"""

LOOK = """
[sites.hottelecom]
origins = ["https://hottelecom.example"]
languages = ["ru", "en"]
accent = "#0B5CAD"
layout = "box"
[sites.hottelecom.texts.ru]
title = '''  Мы бережём
  ваши данные '''
accept = "Согласен"
"""

TITLE = """'''  Мы бережём
  ваши данные '''"""


def _with(keys: str, tables: str = "") -> str:
    return BASE + keys + "\n" + tables


def test_look_and_overrides_parse() -> None:
    site = parse_sites(LOOK)["hottelecom"]
    assert site.accent == "#0b5cad"
    assert site.layout == "box"
    # Whitespace is folded: the words are shown (and hashed) as one line.
    assert site.texts == {"ru": {"title": "Мы бережём ваши данные", "accept": "Согласен"}}
    plain = parse_sites(BASE)["hottelecom"]
    assert (plain.accent, plain.layout, plain.texts) == ("", "bar", {})


def test_overridable_keys_are_the_banner_texts_in_every_language() -> None:
    for texts in BANNER_TEXTS.values():
        assert list(texts) == list(BANNER_TEXT_KEYS)


def test_contrast_is_the_wcag_ratio() -> None:
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_with('accent = "blue"'), "sites.hottelecom.accent: a colour like #0b5cad"),
        (_with('accent = "#0b5cad80"'), "sites.hottelecom.accent: a colour like"),
        (_with("accent = 255"), "sites.hottelecom.accent"),
        (
            _with('accent = "#ffcc00"'),
            "sites.hottelecom.accent: white text on #ffcc00 has a contrast of 1.51:1, below 4.5:1",
        ),
        (_with('accent = "#777777"'), "contrast of 4.48:1"),
        (_with('layout = "popup"'), "sites.hottelecom.layout: one of bar, box"),
        (_with('texts = "Hello"'), "sites.hottelecom.texts: a table per language"),
        (
            _with("", '[sites.hottelecom.texts.ru]\ntitel = "Привет"'),
            "sites.hottelecom.texts.ru.titel: not a banner text; choose from title, body",
        ),
        (
            _with("", '[sites.hottelecom.texts.de]\ntitle = "Hallo"'),
            "sites.hottelecom.texts.de: not a language of this site (ru, en)",
        ),
        (
            BASE.replace('["ru", "en"]', '["ru"]') + '[sites.hottelecom.texts.en]\ntitle = "Hi"',
            "sites.hottelecom.texts.en: not a language of this site (ru)",
        ),
        (_with("", '[sites.hottelecom.texts.ru]\ntitle = "   "'), "texts.ru.title: expected a"),
        (_with("", "[sites.hottelecom.texts.ru]\ntitle = 3"), "texts.ru.title: expected a"),
        (
            _with("", f'[sites.hottelecom.texts.ru]\ntitle = "{"я" * 121}"'),
            "sites.hottelecom.texts.ru.title: 121 characters, at most 120",
        ),
        (
            _with("", f'[sites.hottelecom.texts.en]\naccept = "{"Yes " * 16}"'),
            "sites.hottelecom.texts.en.accept: 63 characters, at most 60",
        ),
        (
            _with("", '[sites.hottelecom.texts.ru]\ntitle = "<b>Cookie</b>"'),
            "sites.hottelecom.texts.ru.title: plain text only (no HTML",
        ),
        (
            _with("", '[sites.hottelecom.texts.en]\nbody = "a \\u0007 bell"'),
            "sites.hottelecom.texts.en.body: plain text only",
        ),
        (
            _with("", '[sites.hottelecom.texts.en]\nupcoming = "Changes soon."'),
            "sites.hottelecom.texts.en.upcoming: must contain {date} once",
        ),
        (
            _with("", '[sites.hottelecom.texts.en]\nupcoming = "On {date} ({when})."'),
            "sites.hottelecom.texts.en.upcoming: must contain {date} once",
        ),
    ],
)
def test_bad_look_and_texts_name_the_key(text: str, message: str) -> None:
    with pytest.raises(SitesError) as caught:
        parse_sites(text)
    assert message in str(caught.value)


def test_gateway_config_reports_a_bad_sites_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sites = tmp_path / "sites.toml"
    monkeypatch.setenv("GATEWAY_SITES_FILE", str(sites))
    monkeypatch.setenv("GATEWAY_SECRET_KEYS", "a-secret-for-the-config-command-test")
    sites.write_text(_with("", '[sites.hottelecom.texts.ru]\ntitle = "<i>x</i>"'), "utf-8")
    result = CliRunner().invoke(cli.cli, ["config"])
    assert result.exit_code == 2
    assert "Error: " in result.output
    assert "sites.hottelecom.texts.ru.title: plain text only" in result.output
    sites.write_text(LOOK.replace(TITLE, '"Мы"'), "utf-8")
    result = CliRunner().invoke(cli.cli, ["config"])
    assert result.exit_code == 0, result.output
    assert "valid (1 sites: hottelecom)" in result.output


def test_text_hash_covers_the_overridden_words() -> None:
    plain = parse_sites(BASE)["hottelecom"]
    looked = parse_sites(LOOK.replace(TITLE, '"Мы бережём данные"'))["hottelecom"]
    other = parse_sites(LOOK.replace(TITLE, '"Мы храним данные"'))["hottelecom"]
    assert text_hash(plain, "ru", 1) != text_hash(looked, "ru", 1) != text_hash(other, "ru", 1)
    # Only Russian is overridden: the English words, and so their hash, are the built-in ones.
    assert text_hash(plain, "en", 1) == text_hash(looked, "en", 1)


def test_bundle_carries_look_and_words() -> None:
    site = parse_sites(LOOK.replace(TITLE, '"Мы бережём данные"'))["hottelecom"]
    policy = state([], date.today())
    body = bundle.build(site, policy, 183, "ru").body.decode()
    assert "Мы бережём данные" in body
    assert BANNER_TEXTS["ru"]["title"] not in body
    assert "Согласен" in body
    assert ":host{--ac:#0b5cad!important;--on:#fff!important}" in body
    assert bundle.minified_box() in body
    dark = bundle.readable_on_dark(site.accent)
    assert contrast(dark, bundle.DARK_BACKGROUND) >= 4.5
    assert f"--lk:{dark}" in body
    english = bundle.build(site, policy, 183, "en").body.decode()
    assert BANNER_TEXTS["en"]["title"] in english
    plain = bundle.build(parse_sites(BASE)["hottelecom"], policy, 183, "ru").body.decode()
    assert "--ac:#0b5cad" not in plain
    assert bundle.minified_box() not in plain


LIVE_LOOK = """
accent = "#0b5cad"
layout = "box"
"""


def _looked_client(app_factory: AppFactory, tmp_path: Path) -> tuple[FlaskClient, object]:
    sites = tmp_path / "sites.toml"
    sites.write_text(
        TEST_SITES_TOML.replace(
            'query_allowlist = ["utm_source", "utm_medium", "utm_campaign"]\n',
            'query_allowlist = ["utm_source", "utm_medium", "utm_campaign"]\n' + LIVE_LOOK,
            1,
        )
        + '\n[sites.hottelecom.texts.ru]\ntitle = "Мы бережём ваши данные"\n',
        encoding="utf-8",
    )
    app = app_factory(SITES_FILE=str(sites))
    return app.test_client(), app


def test_consent_config_carries_look_texts_and_their_hash(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    client, app = _looked_client(app_factory, tmp_path)
    ru = config(client, "ru")
    assert ru["look"] == {"accent": "#0b5cad", "layout": "box"}
    assert ru["texts"]["title"] == "Мы бережём ваши данные"
    assert ru["texts"]["accept"] == BANNER_TEXTS["ru"]["accept"]
    site = app.extensions["gateway.sites"]["hottelecom"]  # type: ignore[attr-defined]
    assert ru["text_hash"] == text_hash(site, "ru", ru["policy_version"])
    shop = config(client, "en", site="shop")
    assert shop["look"] == {"accent": None, "layout": "bar"}


def test_decision_records_the_whole_hash_of_the_shown_words(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    client, app = _looked_client(app_factory, tmp_path)
    ru = config(client, "ru")
    body = {
        "site": "hottelecom",
        "choices": {"analytics": True},
        "policy_version": ru["policy_version"],
        "language": "ru",
        "gpc": False,
    }
    headers = {"Origin": "https://hottelecom.example"}
    # The banner sends the start of the hash it carries; the record has the whole one.
    short = client.post(
        "/api/v1/consent", json={**body, "text_hash": ru["text_hash"][:16]}, headers=headers
    )
    assert short.status_code == 201, short.data
    assert records(app)[-1].text_hash == ru["text_hash"]  # type: ignore[arg-type]
    whole = client.post(
        "/api/v1/consent", json={**body, "text_hash": ru["text_hash"]}, headers=headers
    )
    assert whole.status_code == 201
    # The hash of the built-in words (what a stale banner showed) is refused, whole or short.
    stale = text_hash(parse_sites(TEST_SITES_TOML)["hottelecom"], "ru", ru["policy_version"])
    for sent in (stale, stale[:16], ru["text_hash"][:15], ru["text_hash"][:17]):
        refused = client.post("/api/v1/consent", json={**body, "text_hash": sent}, headers=headers)
        assert refused.status_code == 400, sent
        assert "text_hash" in refused.get_json()["error"]["message"]
