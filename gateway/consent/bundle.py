"""The one response of ``GET /c/<site>.js``: banner code, CSS, configuration and texts.

The scripts in static/consent/ are minified with terser at build time
(``npm run build:banner`` writes the ``*.min.js`` files, which are committed);
the CSS is minified at first use; both are kept in memory. Each site's bundle
(with its gzip form and ETag) is cached until the policy state it was built
from changes. The enhanced-measurement piece
(``measure.js``) is part of the response only for sites that switch it on.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import rcssmin  # type: ignore[import-untyped]

from gateway import PROJECT_ROOT
from gateway.consent.texts import banner_texts, categories, text_hash
from gateway.policy.versions import PolicyState
from gateway.sites import DEFAULT_CONSENT_MODE, THIRD_PARTY_CATEGORIES, Site

SOURCE_DIR = PROJECT_ROOT / "static" / "consent"
MAX_CACHED_BUNDLES = 256


@dataclass(frozen=True)
class Bundle:
    body: bytes
    gzipped: bytes
    etag: str

    @property
    def gzip_etag(self) -> str:
        return self.etag + "-gz"


@lru_cache(maxsize=1)
def minified_sources() -> tuple[str, str]:
    js = (SOURCE_DIR / "banner.min.js").read_text(encoding="utf-8")
    css = rcssmin.cssmin((SOURCE_DIR / "banner.css").read_text(encoding="utf-8"))
    return js.strip().rstrip(";"), css


@lru_cache(maxsize=1)
def minified_measurement() -> str:
    js = (SOURCE_DIR / "measure.min.js").read_text(encoding="utf-8")
    return js.strip().rstrip(";")


def measurement_config(site: Site) -> dict[str, Any] | None:
    """What the enhanced-measurement piece is told, or None when the site measures none of it."""
    chosen = set(site.enhanced_measurement)
    if not chosen:
        return None
    config: dict[str, Any] = {}
    for key, name in (("s", "scroll"), ("o", "outbound_clicks"), ("d", "file_downloads")):
        if name in chosen:
            config[key] = 1
    if "site_search" in chosen and site.site_search_params:
        config["q"] = list(site.site_search_params)
    return config


def script_config(site: Site, state: PolicyState, max_age_days: int) -> dict[str, Any]:
    """The site's configuration as the banner reads it (short keys: every byte is sent)."""
    version = state.consent_version
    upcoming = state.upcoming[0] if state.upcoming else None
    texts: dict[str, dict[str, Any]] = {}
    for lang in site.languages:
        shown = banner_texts(lang, upcoming)
        if not site.cookies:
            del shown["cookies"]  # only the second layer's cookie lists use it
        texts[lang] = {
            **shown,
            "cats": [
                [c["title"], c["description"], *cookie_rows(site, c["id"], lang)]
                for c in categories(site, lang)
            ],
        }
    return {
        "s": site.id,
        "l": list(site.languages),
        "cv": version,
        "v": state.current.number if state.current else version,
        "up": upcoming.number if upcoming else 0,
        "ma": max_age_days,
        "c": [
            {"i": c["id"], "r": 1} if c["required"] else {"i": c["id"]}
            for c in categories(site, site.default_language)
        ],
        "t": texts,
        "h": {lang: text_hash(site, lang, version) for lang in site.languages},
        **enforcement_config(site),
    }


def cookie_rows(site: Site, category: str, lang: str) -> list[list[str]]:
    """The declared cookies of one category as the second layer lists them."""
    return [
        [c.name, c.provider, c.expires, c.purpose.get(lang) or next(iter(c.purpose.values()), "")]
        for c in site.cookies
        if c.category == category
    ]


def enforcement_config(site: Site) -> dict[str, Any]:
    """What the banner needs to clear cookies and drive Consent Mode (only what differs)."""
    config: dict[str, Any] = {}
    if site.cookies:
        config["k"] = [[c.category, c.name] for c in site.cookies]
    if site.cookie_domain:
        config["cd"] = site.cookie_domain
    if site.consent_mode != tuple(DEFAULT_CONSENT_MODE.items()):
        config["cm"] = {cid: list(signals) for cid, signals in site.consent_mode}
    if site.third_party != tuple(c for c in THIRD_PARTY_CATEGORIES if c in site.category_ids):
        config["tp"] = list(site.third_party)
    return config


def compress(body: bytes) -> bytes:
    """gzip, squeezed with Zopfli (about 4% smaller than zlib's best; done once per bundle)."""
    try:
        import zopfli.gzip  # type: ignore[import-untyped]
    except ImportError:
        return gzip.compress(body, compresslevel=9, mtime=0)
    return bytes(zopfli.gzip.compress(body, numiterations=15))


def build(site: Site, state: PolicyState, max_age_days: int) -> Bundle:
    js, css = minified_sources()
    config = json.dumps(
        script_config(site, state, max_age_days), ensure_ascii=False, separators=(",", ":")
    )
    script = f"{js}({config},{json.dumps(css, ensure_ascii=False)});"
    measure = measurement_config(site)
    if measure is not None:
        script += f"{minified_measurement()}(HotConsent.track,{json.dumps(measure)});"
    body = (script + "\n").encode()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Bundle(body, compress(body), f"hc-{digest}")


def cached_bundle(
    cache: dict[tuple[Any, ...], Bundle], site: Site, state: PolicyState, max_age_days: int
) -> Bundle:
    key = (site.id, state, max_age_days)
    bundle = cache.get(key)
    if bundle is None:
        if len(cache) >= MAX_CACHED_BUNDLES:
            cache.clear()
        bundle = cache[key] = build(site, state, max_age_days)
    return bundle


def unknown_site_script(site_id: str) -> str:
    """Valid JavaScript, so a host page with a wrong tag never throws."""
    shown = site_id if site_id.replace("-", "").replace("_", "").isalnum() else "?"
    return f"/* HotConsent: no site {shown[:64]!r} is configured on this gateway */\n"
