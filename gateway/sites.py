"""The sites file: which HotTelecom sites use the gateway, with their origins and GA ids.

Sites are read from TOML at start-up (and again on SIGHUP); they are not stored in
the database.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app

SITE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CATEGORY_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MEASUREMENT_ID = re.compile(r"^G-[A-Z0-9]{4,20}$")
SUPPORTED_LANGUAGES = ("ru", "en")
BUILTIN_CATEGORIES = ("necessary", "analytics")
# Categories that share data with third parties: Global Privacy Control refuses them.
THIRD_PARTY_CATEGORIES = ("analytics", "marketing")
# What the tracker can measure on its own, each switched on per site.
ENHANCED_MEASUREMENT = ("scroll", "outbound_clicks", "file_downloads", "site_search")
DEFAULT_SEARCH_PARAMS = ("q", "s", "search", "query", "text")
QUERY_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
# A cookie name as RFC 6265 allows it, with * as a wildcard.
COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
CONSENT_SIGNALS = ("analytics_storage", "ad_storage", "ad_user_data", "ad_personalization")
# Which Google Consent Mode signals each category grants, unless the site says otherwise.
DEFAULT_CONSENT_MODE = {
    "analytics": ("analytics_storage",),
    "marketing": ("ad_storage", "ad_user_data", "ad_personalization"),
}
ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
LAYOUTS = ("bar", "box")
# Text on the accent (the banner's buttons) is white: WCAG AA for normal text.
MIN_CONTRAST = 4.5
# The longest override of a banner text, by key (the rest: TEXT_MAX).
TEXT_MAX = 300
TEXT_LIMITS = {"title": 120, "body": 800, "gpc": 400}
SHORT_TEXTS = ("accept", "reject", "customize", "save", "close", "policy", "prefs", "always")
SHORT_MAX = 60
# The banner's texts a site may override (gateway/consent/texts.py has them in each language).
BANNER_TEXT_KEYS = (
    "title",
    "body",
    "accept",
    "reject",
    "customize",
    "save",
    "close",
    "policy",
    "prefs",
    "always",
    "id",
    "id_hint",
    "gpc",
    "updated",
    "upcoming",
    "diff",
    "ok",
    "failed",
    "blocked",
    "allow",
    "cookies",
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class SitesError(ValueError):
    """The sites file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Category:
    id: str
    # Per language: {"ru": {"title": …, "description": …}, "en": {…}}
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Cookie:
    """One declared cookie: shown to visitors on the second layer, cleared on refusal."""

    category: str
    name: str  # exact, or a glob with *
    provider: str
    expires: str
    purpose: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    origins: tuple[str, ...]
    languages: tuple[str, ...]
    ga_measurement_id: str = ""
    ga_api_secret: str = ""
    query_allowlist: tuple[str, ...] = ()
    extra_categories: tuple[Category, ...] = ()
    enhanced_measurement: tuple[str, ...] = ()
    site_search_params: tuple[str, ...] = DEFAULT_SEARCH_PARAMS
    cookies: tuple[Cookie, ...] = ()
    cookie_domain: str = ""
    # Category -> the Consent Mode signals it grants.
    consent_mode: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_CONSENT_MODE.items())
    # The categories that share data with third parties: Global Privacy Control refuses them.
    third_party: tuple[str, ...] = THIRD_PARTY_CATEGORIES
    # The banner's look: its accent colour (#rrggbb, "" for the house red) and layout.
    accent: str = ""
    layout: str = "bar"
    # Per language, banner texts that replace the built-in ones: {"ru": {"title": …}}.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    @cached_property
    def campaign_allowlist(self) -> frozenset[str]:
        return frozenset(self.query_allowlist)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    @property
    def category_ids(self) -> tuple[str, ...]:
        return BUILTIN_CATEGORIES + tuple(c.id for c in self.extra_categories)

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and origin in self.origins


def _origin(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SitesError(f"{where}: origin must be a string")
    problem = SitesError(f"{where}: {value!r} is not an origin like https://example.com")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError when out of range or not a number
    except ValueError as exc:  # e.g. "https://[x" (an unclosed IPv6 address)
        raise problem from exc
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise problem
    return f"{parts.scheme}://{parts.netloc}".lower()


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SitesError(f"{where}: expected a list of strings")
    return tuple(value)


def _category(cid: str, raw: Any, where: str) -> Category:
    if not CATEGORY_ID.match(cid) or cid in BUILTIN_CATEGORIES:
        raise SitesError(f"{where}: invalid or reserved category name {cid!r}")
    if not isinstance(raw, dict):
        raise SitesError(f"{where}: expected a table")
    texts: dict[str, dict[str, str]] = {}
    for lang, text in raw.items():
        if lang not in SUPPORTED_LANGUAGES or not isinstance(text, dict):
            raise SitesError(f"{where}.{lang}: expected a table per language (ru, en)")
        title, description = text.get("title"), text.get("description")
        if not isinstance(title, str) or not isinstance(description, str):
            raise SitesError(f"{where}.{lang}: title and description are required strings")
        texts[lang] = {"title": title, "description": description}
    return Category(cid, texts)


def _enhanced_measurement(value: Any, where: str) -> tuple[str, ...]:
    """``true`` (everything), ``false``, or a list naming what to measure."""
    if value is True:
        return ENHANCED_MEASUREMENT
    if value is False:
        return ()
    names = _string_list(value, f"{where}.enhanced_measurement")
    unknown = [n for n in names if n not in ENHANCED_MEASUREMENT]
    if unknown:
        raise SitesError(
            f"{where}.enhanced_measurement: unknown {', '.join(unknown)}; "
            f"choose from {', '.join(ENHANCED_MEASUREMENT)} (or true for all)"
        )
    return tuple(n for n in ENHANCED_MEASUREMENT if n in names)


# In a site's origins, the gateway's own origin (that of PUBLIC_URL): the demo
# sites file lists it, so the demo page keeps working on whatever port it runs.
GATEWAY_ORIGIN = "{gateway}"


def _origins(values: tuple[str, ...], gateway_origin: str, where: str) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        origin = _origin(gateway_origin if value == GATEWAY_ORIGIN else value, where)
        if origin not in found:
            found.append(origin)
    return tuple(found)


def _cookies(value: Any, where: str, category_ids: tuple[str, ...]) -> tuple[Cookie, ...]:
    if not isinstance(value, list):
        raise SitesError(f"{where}: expected [[{where}]] tables")
    cookies = []
    for n, raw in enumerate(value):
        at = f"{where}[{n}]"
        if not isinstance(raw, dict):
            raise SitesError(f"{at}: expected a table")
        unknown = set(raw) - {"category", "name", "provider", "expires", "purpose"}
        if unknown:
            raise SitesError(f"{at}: unknown keys {', '.join(sorted(unknown))}")
        category = raw.get("category")
        if category not in category_ids:
            raise SitesError(f"{at}.category: one of {', '.join(category_ids)}")
        name = raw.get("name")
        if not isinstance(name, str) or not COOKIE_NAME.match(name):
            raise SitesError(f"{at}.name: a cookie name, or a glob with *")
        texts = {}
        for key in ("provider", "expires"):
            text = raw.get(key, "")
            if not isinstance(text, str):
                raise SitesError(f"{at}.{key}: expected a string")
            texts[key] = text.strip()
        purpose = raw.get("purpose", {})
        if not isinstance(purpose, dict) or not all(
            lang in SUPPORTED_LANGUAGES and isinstance(text, str) for lang, text in purpose.items()
        ):
            raise SitesError(f"{at}.purpose: a table of texts per language (ru, en)")
        cookies.append(Cookie(category, name, texts["provider"], texts["expires"], purpose))
    return tuple(cookies)


def _cookie_domain(value: Any, where: str, origins: tuple[str, ...]) -> str:
    domain = value.lower().lstrip(".") if isinstance(value, str) else ""
    if not DOMAIN.match(domain):
        raise SitesError(f"{where}.cookie_domain: a domain name like example.com")
    hosts = [urlsplit(origin).hostname or "" for origin in origins]
    if not any(host == domain or host.endswith("." + domain) for host in hosts):
        raise SitesError(f"{where}.cookie_domain: no origin of the site is under {domain}")
    return domain


def _consent_mode(
    value: Any, where: str, category_ids: tuple[str, ...]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise SitesError(f"{where}.consent_mode: a table of category = [signals]")
    mapping: dict[str, tuple[str, ...]] = {}
    for cid, signals in value.items():
        if cid not in category_ids or cid == "necessary":
            raise SitesError(f"{where}.consent_mode.{cid}: not a category of this site")
        names = _string_list(signals, f"{where}.consent_mode.{cid}")
        bad = [s for s in names if s not in CONSENT_SIGNALS]
        if bad:
            raise SitesError(
                f"{where}.consent_mode.{cid}: unknown {', '.join(bad)}; "
                f"choose from {', '.join(CONSENT_SIGNALS)}"
            )
        mapping[cid] = tuple(names)
    return tuple(mapping.items())


def _third_party(value: Any, where: str, category_ids: tuple[str, ...]) -> tuple[str, ...]:
    names = _string_list(value, f"{where}.third_party")
    for cid in names:
        if cid not in category_ids:
            raise SitesError(f"{where}.third_party: {cid!r} is not a category of this site")
        if cid == "necessary":
            raise SitesError(f"{where}.third_party: necessary cannot be refused")
    return tuple(dict.fromkeys(names))


def luminance(colour: str) -> float:
    """The relative luminance of a #rrggbb colour (WCAG 2)."""
    channels = []
    for i in (1, 3, 5):
        c = int(colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _accent(value: Any, where: str) -> str:
    if not isinstance(value, str) or not ACCENT.match(value):
        raise SitesError(f"{where}.accent: a colour like #0b5cad (# and six hex digits)")
    colour = value.lower()
    ratio = contrast(colour, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise SitesError(
            f"{where}.accent: white text on {colour} has a contrast of {ratio:.2f}:1, "
            f"below {MIN_CONTRAST}:1; choose a darker colour"
        )
    return colour


def _layout(value: Any, where: str) -> str:
    if value not in LAYOUTS:
        raise SitesError(f"{where}.layout: one of {', '.join(LAYOUTS)}")
    return str(value)


def _texts(value: Any, where: str, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Overrides of the banner's texts: known keys, the site's languages, plain text."""
    if not isinstance(value, dict):
        raise SitesError(f"{where}.texts: a table per language, e.g. [{where}.texts.ru]")
    overrides: dict[str, dict[str, str]] = {}
    for lang, table in value.items():
        at = f"{where}.texts.{lang}"
        if lang not in languages:
            raise SitesError(f"{at}: not a language of this site ({', '.join(languages)})")
        if not isinstance(table, dict):
            raise SitesError(f'{at}: a table of text = "…"')
        texts = {}
        for key, text in table.items():
            if key not in BANNER_TEXT_KEYS:
                raise SitesError(
                    f"{at}.{key}: not a banner text; choose from {', '.join(BANNER_TEXT_KEYS)}"
                )
            if not isinstance(text, str) or not text.strip():
                raise SitesError(f"{at}.{key}: expected a non-empty string")
            text = " ".join(text.split())
            limit = SHORT_MAX if key in SHORT_TEXTS else TEXT_LIMITS.get(key, TEXT_MAX)
            if len(text) > limit:
                raise SitesError(f"{at}.{key}: {len(text)} characters, at most {limit}")
            if "<" in text or ">" in text or CONTROL.search(text):
                raise SitesError(f"{at}.{key}: plain text only (no HTML, no < or >)")
            rest = text.replace("{date}", "", 1)
            if key == "upcoming" and (rest == text or "{" in rest or "}" in rest):
                raise SitesError(f"{at}.{key}: must contain {{date}} once and no other braces")
            texts[key] = text
        overrides[lang] = texts
    return overrides


def parse_site(site_id: str, raw: Any, gateway_origin: str = "http://127.0.0.1:8000") -> Site:
    where = f"sites.{site_id}"
    if not SITE_ID.match(site_id):
        raise SitesError(f"{where}: site ids are lowercase letters, digits, - and _")
    if not isinstance(raw, dict):
        raise SitesError(f"{where}: expected a table")
    known = {
        "name",
        "origins",
        "languages",
        "ga_measurement_id",
        "ga_api_secret",
        "query_allowlist",
        "categories",
        "enhanced_measurement",
        "site_search_params",
        "cookies",
        "cookie_domain",
        "consent_mode",
        "third_party",
        "accent",
        "layout",
        "texts",
    }
    unknown = set(raw) - known
    if unknown:
        raise SitesError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    name = raw.get("name", site_id)
    if not isinstance(name, str) or not name.strip():
        raise SitesError(f"{where}.name: expected a non-empty string")
    origins = _origins(
        _string_list(raw.get("origins", []), f"{where}.origins"), gateway_origin, f"{where}.origins"
    )
    languages = _string_list(raw.get("languages", ["ru", "en"]), f"{where}.languages")
    if not languages or any(lang not in SUPPORTED_LANGUAGES for lang in languages):
        raise SitesError(f"{where}.languages: choose from {', '.join(SUPPORTED_LANGUAGES)}")
    mid = raw.get("ga_measurement_id", "")
    if not isinstance(mid, str) or (mid and not MEASUREMENT_ID.match(mid)):
        raise SitesError(f"{where}.ga_measurement_id: expected G-XXXXXXXXXX")
    secret = raw.get("ga_api_secret", "")
    if not isinstance(secret, str):
        raise SitesError(f"{where}.ga_api_secret: expected a string")
    allow = _string_list(raw.get("query_allowlist", []), f"{where}.query_allowlist")
    measure = _enhanced_measurement(raw.get("enhanced_measurement", []), where)
    search_params = _string_list(
        raw.get("site_search_params", list(DEFAULT_SEARCH_PARAMS)), f"{where}.site_search_params"
    )
    if not all(QUERY_NAME.match(name) for name in search_params):
        raise SitesError(f"{where}.site_search_params: query parameter names only")
    cats_raw = raw.get("categories", {})
    if not isinstance(cats_raw, dict):
        raise SitesError(f"{where}.categories: expected a table")
    categories = tuple(
        _category(cid, c, f"{where}.categories.{cid}") for cid, c in cats_raw.items()
    )
    category_ids = BUILTIN_CATEGORIES + tuple(c.id for c in categories)
    cookies = _cookies(raw.get("cookies", []), f"{where}.cookies", category_ids)
    cookie_domain = (
        _cookie_domain(raw["cookie_domain"], where, origins) if "cookie_domain" in raw else ""
    )
    consent_mode = (
        _consent_mode(raw["consent_mode"], where, category_ids)
        if "consent_mode" in raw
        else tuple((c, s) for c, s in DEFAULT_CONSENT_MODE.items() if c in category_ids)
    )
    third_party = (
        _third_party(raw["third_party"], where, category_ids)
        if "third_party" in raw
        else tuple(c for c in THIRD_PARTY_CATEGORIES if c in category_ids)
    )
    accent = _accent(raw["accent"], where) if "accent" in raw else ""
    layout = _layout(raw.get("layout", "bar"), where)
    texts = _texts(raw.get("texts", {}), where, languages)
    return Site(
        id=site_id,
        name=name.strip(),
        origins=origins,
        languages=languages,
        ga_measurement_id=mid,
        ga_api_secret=secret,
        query_allowlist=allow,
        extra_categories=categories,
        enhanced_measurement=measure,
        site_search_params=search_params,
        cookies=cookies,
        cookie_domain=cookie_domain,
        consent_mode=consent_mode,
        third_party=third_party,
        accent=accent,
        layout=layout,
        texts=texts,
    )


def parse_sites(
    text: str, source: str = "sites file", gateway_origin: str = "http://127.0.0.1:8000"
) -> dict[str, Site]:
    """Parse and validate a sites file; raises SitesError naming the offending key.

    ``gateway_origin`` is what ``"{gateway}"`` in a site's origins stands for.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SitesError(f"{source}: {exc}") from exc
    sites_raw = data.get("sites", {})
    if not isinstance(sites_raw, dict):
        raise SitesError(f"{source}: [sites] must be a table")
    return {sid: parse_site(sid, raw, gateway_origin) for sid, raw in sites_raw.items()}


def load_sites(path: str, gateway_origin: str = "http://127.0.0.1:8000") -> dict[str, Site]:
    file = Path(path)
    if not file.exists():
        return {}
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SitesError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_sites(text, str(file), gateway_origin)


def all_sites() -> dict[str, Site]:
    return current_app.extensions["gateway.sites"]  # type: ignore[no-any-return]


def get_site(site_id: str) -> Site | None:
    return all_sites().get(site_id)


def site_by_measurement_id(measurement_id: str) -> Site | None:
    for site in all_sites().values():
        if site.ga_measurement_id and site.ga_measurement_id == measurement_id:
            return site
    return None


DEMO_SITES_TOML = """\
# Sites served by this gateway. Each site embeds
#   <script src="http://127.0.0.1:8000/c/hottelecom.js" async></script>
# "{gateway}" is the gateway's own origin (that of GATEWAY_PUBLIC_URL, which
# `gateway serve --port N` sets to http://127.0.0.1:N): its /demo page.
[sites.hottelecom]
name = "HotTelecom"
origins = [
    "{gateway}",
    "http://127.0.0.1:8000",
    "http://localhost:8000",
    "https://hottelecom.example",
]
languages = ["ru", "en"]
ga_measurement_id = "G-HOTDEMO001"
ga_api_secret = "demo-secret-not-a-real-one"
query_allowlist = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"]
# scroll depth, outbound clicks, file downloads and site search, measured by the tracker
enhanced_measurement = true

[sites.hottelecom.categories.marketing.ru]
title = "Маркетинг"
description = "Позволяет показывать вам рекламу услуг HotTelecom на других сайтах."

[sites.hottelecom.categories.marketing.en]
title = "Marketing"
description = "Lets us show you HotTelecom offers on other websites."
"""


def init_app(app: Flask) -> None:
    # Under gunicorn, SIGHUP to the master restarts the workers, which read the
    # file again: that is how an operator reloads sites without downtime.
    public = urlsplit(str(app.config["PUBLIC_URL"]))
    gateway_origin = f"{public.scheme}://{public.netloc}"
    app.extensions["gateway.sites"] = load_sites(app.config["SITES_FILE"], gateway_origin)
