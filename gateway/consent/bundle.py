"""The one response of ``GET /c/<site>.js``: banner code, CSS, configuration and texts.

The texts are those of one language: ``?lang=`` in the tag, else the visitor's
Accept-Language among the site's languages (the response then varies on it).

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
from gateway.consent.texts import BANNER_HASH_LENGTH, banner_texts, categories, text_hash
from gateway.policy.versions import PolicyState
from gateway.sites import (
    DEFAULT_CONSENT_MODE,
    MIN_CONTRAST,
    THIRD_PARTY_CATEGORIES,
    Site,
    contrast,
)

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
def minified_box() -> str:
    return rcssmin.cssmin((SOURCE_DIR / "box.css").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# The banner's background in dark mode (banner.css): links and focus rings in a site's
# accent are lightened until they read on it.
DARK_BACKGROUND = "#202127"


def readable_on_dark(accent: str) -> str:
    """The accent mixed with white until it has a 4.5:1 contrast on the dark background."""
    rgb = [int(accent[i : i + 2], 16) for i in (1, 3, 5)]
    for step in range(21):
        mixed = "#" + "".join(f"{round(c + (255 - c) * step / 20):02x}" for c in rgb)
        if contrast(mixed, DARK_BACKGROUND) >= MIN_CONTRAST:
            return mixed
    return "#ffffff"


def look_css(site: Site) -> str:
    """The site's accent colour and layout, as CSS appended to the banner's."""
    css = ""
    if site.accent:
        # Buttons keep white text on the accent in both schemes (the sites file checks it).
        # Links and focus rings on the dark background take a lighter shade of it.
        dark = readable_on_dark(site.accent)
        css += (
            f":host{{--ac:{site.accent}!important;--on:#fff!important}}"
            f"@media(prefers-color-scheme:dark){{:host{{--lk:{dark}}}}}"
        )
    if site.layout == "box":
        css += minified_box()
    return css


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


def script_config(site: Site, state: PolicyState, max_age_days: int, lang: str) -> dict[str, Any]:
    """The site's configuration as the banner reads it (short keys: every byte is sent).

    It carries the texts of one language, ``lang``; ``l`` lists all the site's, so a
    page in another of them loads that language's response instead.
    """
    version = state.consent_version
    upcoming = state.upcoming[0] if state.upcoming else None
    shown = banner_texts(site, lang, upcoming)
    if not site.cookies:
        del shown["cookies"]  # only the second layer's cookie lists use it
    texts = {
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
        # The category ids, necessary (always on) first.
        "c": [c["id"] for c in categories(site, site.default_language)],
        "t": {lang: texts},
        # The start of the hash of the texts: the gateway records the whole of it.
        "h": text_hash(site, lang, version)[:BANNER_HASH_LENGTH],
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


def build(site: Site, state: PolicyState, max_age_days: int, lang: str = "") -> Bundle:
    js, css = minified_sources()
    config = json.dumps(
        script_config(site, state, max_age_days, lang or site.default_language),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    css += look_css(site)
    script = f"{js}({config},{json.dumps(css, ensure_ascii=False)});"
    measure = measurement_config(site)
    if measure is not None:
        script += f"{minified_measurement()}(HotConsent.track,{json.dumps(measure)});"
    body = (script + "\n").encode()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Bundle(body, compress(body), f"hc-{digest}")


def cached_bundle(
    cache: dict[tuple[Any, ...], Bundle],
    site: Site,
    state: PolicyState,
    max_age_days: int,
    lang: str = "",
) -> Bundle:
    key = (site.id, state, max_age_days, lang)
    bundle = cache.get(key)
    if bundle is None:
        if len(cache) >= MAX_CACHED_BUNDLES:
            cache.clear()
        bundle = cache[key] = build(site, state, max_age_days, lang)
    return bundle


def unknown_site_script(site_id: str) -> str:
    """Valid JavaScript, so a host page with a wrong tag never throws."""
    shown = site_id if site_id.replace("-", "").replace("_", "").isalnum() else "?"
    return f"/* HotConsent: no site {shown[:64]!r} is configured on this gateway */\n"
