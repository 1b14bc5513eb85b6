"""Rules for the parameters of enhanced measurement (scroll, outbound clicks, file
downloads, site search), from the banner's tracker or a GA4 client on /g/collect.

Applied after the anonymizer's general rules (names checked, values scrubbed), to
the parameters whose meaning says more must go:

- ``link_domain``: a host name only (an address as host is dropped);
- ``link_url``: the site's own links keep their anonymized path, other sites'
  links their origin only;
- ``file_name``: a path, each identifying segment ``:redacted``;
- ``file_extension``: letters and digits, at most 8;
- ``percent_scrolled``: a number from 0 to 100;
- ``search_term``: scrubbed like any text, spaces collapsed.

Pure functions on plain data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from gateway.analytics.intake import anonymizer as anon

_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")
_MARKER = re.compile(r"\[[a-z]{2,10}\]")


def clean_link_domain(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    host = value.strip().lower().rstrip(".")
    if not host or len(host) > anon.MAX_VALUE_LENGTH or not anon._HOST.match(host):
        return None
    if anon._IPV4.fullmatch(host):
        return None
    return host


def clean_link_url(value: object, site_origins: Iterable[str]) -> str | None:
    if not isinstance(value, str):
        return None
    origins = tuple(site_origins)
    clean = anon.anonymize_url(value, (), origins)
    if clean is None:
        return None
    kept = clean.url if clean.origin in origins else clean.origin
    return kept[: anon.MAX_VALUE_LENGTH]


def clean_file_name(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    path = value.strip()
    if "://" in path:
        path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
    path = path.split("?", 1)[0].split("#", 1)[0]
    # The value was scrubbed as text already: a segment holding a marker held an identifier.
    segments = [
        anon.REDACTED_SEGMENT if _MARKER.search(segment) else segment
        for segment in anon.anonymize_path(path).split("/")
    ]
    return "/".join(segments)[: anon.MAX_VALUE_LENGTH]


def clean_file_extension(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    extension = value.strip().lower().lstrip(".")
    return extension if _EXTENSION.match(extension) else None


def clean_percent(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if 0 <= value <= 100 else None


def clean_search_term(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    term = " ".join(anon.scrub_text(value, anon.MAX_VALUE_LENGTH).split())
    return term[: anon.MAX_VALUE_LENGTH] or None


def _link_url_after_url_rules(value: object, site_origins: Iterable[str]) -> str | None:
    """``clean_link_url`` of a value ``anonymizer.clean_url_value`` returned.

    That value is a path (which no link URL is) or a URL the URL rules wrote
    themselves: the site's origin and anonymized path, or another site's
    origin. Read again, such a URL comes back unchanged, so it is not parsed
    twice; a value cut at the length limit is (its cut last segment is new text).
    """
    if not isinstance(value, str) or value.startswith("/"):
        return None
    if len(value) >= anon.MAX_VALUE_LENGTH:
        return clean_link_url(value, site_origins)
    return value


def _search_term_after_text_rules(value: object) -> str | None:
    """``clean_search_term`` of a value ``scrub_text`` returned: only spaces to collapse."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split())[: anon.MAX_VALUE_LENGTH] or None


def clean_measured(
    params: Mapping[str, object],
    site_origins: Iterable[str],
    via: Mapping[str, str] | None = None,
) -> Mapping[str, object]:
    """``params`` with the enhanced-measurement rules applied (a value that fails is dropped).

    ``via`` (from ``anonymizer.clean_params``) says which rule each value went
    through already: a ``link_url`` the URL rules wrote and a ``search_term``
    the text rules scrubbed are not scrubbed a second time.
    """
    via = via or {}
    rules: dict[str, Callable[[object], object]] = {
        "link_domain": clean_link_domain,
        "file_name": clean_file_name,
        "file_extension": clean_file_extension,
        "percent_scrolled": clean_percent,
        "search_term": clean_search_term,
    }
    if not any(name in params for name in (*rules, "link_url")):
        return params
    cleaned: dict[str, object] = {}
    for name, value in params.items():
        kept: object
        if name == "link_url":
            if via.get(name) == anon.VIA_URL:
                kept = _link_url_after_url_rules(value, site_origins)
            else:
                kept = clean_link_url(value, site_origins)
        elif name == "search_term" and via.get(name) == anon.VIA_TEXT:
            kept = _search_term_after_text_rules(value)
        elif name in rules:
            kept = rules[name](value)
        else:
            kept = value
        if kept is not None:
            cleaned[name] = kept
    return cleaned
