"""The sites file's enforcement keys (declared cookies, cookie domain, Consent Mode signals),
what the banner's configuration carries of them, and the committed minified scripts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gateway import PROJECT_ROOT
from gateway.consent import bundle
from gateway.consent.services import normalize_choices
from gateway.sites import SitesError, parse_sites
from tests.conftest import TEST_SITES_TOML

BASE = """
[sites.s]
origins = ["https://www.shop.example", "https://shop.example"]
[sites.s.categories.marketing.en]
title = "Marketing"
description = "Ads."
"""

COOKIE = """
[[sites.s.cookies]]
category = "analytics"
name = "_ga_*"
provider = "Google Analytics"
expires = "2 years"
purpose = {ru = "Различает посетителей.", en = "Tells visitors apart."}
"""


def test_declared_cookies_and_cookie_domain_parse() -> None:
    text = BASE.replace("[sites.s]\n", '[sites.s]\ncookie_domain = ".Shop.example"\n') + COOKIE
    site = parse_sites(text)["s"]
    assert site.cookie_domain == "shop.example"
    (cookie,) = site.cookies
    assert (cookie.category, cookie.name, cookie.provider, cookie.expires) == (
        "analytics",
        "_ga_*",
        "Google Analytics",
        "2 years",
    )
    assert cookie.purpose["en"] == "Tells visitors apart."
    assert dict(site.consent_mode)["marketing"] == (
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE + COOKIE.replace('"analytics"', '"ads"'), "sites.s.cookies[0].category"),
        (BASE + COOKIE.replace('"_ga_*"', '"a b"'), "sites.s.cookies[0].name"),
        (BASE + COOKIE.replace("provider =", "owner ="), "sites.s.cookies[0]: unknown keys owner"),
        (BASE + COOKIE.replace("ru =", "de ="), "sites.s.cookies[0].purpose"),
        (BASE + COOKIE.replace('expires = "2 years"', "expires = 2"), "cookies[0].expires"),
        (
            BASE.replace("[sites.s]\n", '[sites.s]\ncookie_domain = "other.example"\n'),
            "sites.s.cookie_domain: no origin of the site is under other.example",
        ),
        (BASE.replace("[sites.s]\n", '[sites.s]\ncookie_domain = "http://x"\n'), "cookie_domain"),
        (
            BASE.replace("[sites.s]\n", '[sites.s]\nconsent_mode = {marketing = ["ad_fun"]}\n'),
            "sites.s.consent_mode.marketing: unknown ad_fun",
        ),
        (
            BASE.replace("[sites.s]\n", '[sites.s]\nconsent_mode = {nope = ["ad_storage"]}\n'),
            "sites.s.consent_mode.nope",
        ),
        (
            BASE.replace("[sites.s]\n", '[sites.s]\nthird_party = ["ads"]\n'),
            "sites.s.third_party: 'ads' is not a category of this site",
        ),
        (
            BASE.replace("[sites.s]\n", '[sites.s]\nthird_party = ["necessary"]\n'),
            "sites.s.third_party: necessary cannot be refused",
        ),
        (BASE.replace("[sites.s]\n", '[sites.s]\nthird_party = "marketing"\n'), "third_party"),
    ],
)
def test_bad_enforcement_keys_name_the_key(text: str, message: str) -> None:
    with pytest.raises(SitesError, match=message.replace("[", r"\[").replace("*", r"\*")):
        parse_sites(text)


def test_banner_configuration_carries_what_it_enforces() -> None:
    text = (
        BASE.replace(
            "[sites.s]\n",
            '[sites.s]\ncookie_domain = "shop.example"\n'
            'consent_mode = {analytics = ["analytics_storage", "ad_user_data"]}\n',
        )
        + COOKIE
    )
    site = parse_sites(text)["s"]
    config = bundle.enforcement_config(site)
    assert config == {
        "k": [["analytics", "_ga_*"]],
        "cd": "shop.example",
        "cm": {"analytics": ["analytics_storage", "ad_user_data"]},
    }
    rows = bundle.cookie_rows(site, "analytics", "ru")
    assert rows == [["_ga_*", "Google Analytics", "2 years", "Различает посетителей."]]
    # A site with nothing declared sends nothing extra.
    assert bundle.enforcement_config(parse_sites(TEST_SITES_TOML)["hottelecom"]) == {}


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js builds the banner")
def test_committed_minified_scripts_are_built_from_the_sources(tmp_path: Path) -> None:
    if not (PROJECT_ROOT / "node_modules" / "terser").exists():
        pytest.skip("npm dependencies are not installed")
    subprocess.run(
        ["node", "scripts/build_banner.mjs", str(tmp_path)], cwd=PROJECT_ROOT, check=True
    )
    for name in ("banner.min.js", "measure.min.js"):
        committed = (PROJECT_ROOT / "static" / "consent" / name).read_text(encoding="utf-8")
        assert committed == (tmp_path / name).read_text(encoding="utf-8"), (
            f"static/consent/{name} is stale: run npm run build:banner"
        )


def test_third_party_categories_are_marked_in_the_sites_file() -> None:
    # By default analytics and marketing share data with third parties; GPC refuses both.
    default = parse_sites(BASE)["s"]
    assert default.third_party == ("analytics", "marketing")
    assert "tp" not in bundle.enforcement_config(default)
    marked = parse_sites(BASE.replace("[sites.s]\n", '[sites.s]\nthird_party = ["marketing"]\n'))
    assert marked["s"].third_party == ("marketing",)
    assert bundle.enforcement_config(marked["s"])["tp"] == ["marketing"]
    choices = normalize_choices(marked["s"], {"analytics": True, "marketing": True}, gpc=True)
    assert choices == {"necessary": True, "analytics": True, "marketing": False}
    choices = normalize_choices(default, {"analytics": True, "marketing": True}, gpc=True)
    assert choices == {"necessary": True, "analytics": False, "marketing": False}
