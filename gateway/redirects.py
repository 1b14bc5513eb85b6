"""The one check for redirect targets that come from the client (``next=`` and the like).

Every view that redirects to an address it was given passes it through
``safe_target``; everything else redirects to ``url_for(...)`` only
(``tests/test_security_redirects.py`` reads the code to hold that).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import url_for

# Longer than any page of the gateway with its query string.
MAX_TARGET_LENGTH = 2048


def is_safe_target(target: str | None) -> bool:
    """A path on this site: ``/`` then not ``/`` or ``\\``; no scheme, host or odd characters.

    Browsers strip tabs and newlines from URLs, treat ``\\`` as ``/`` and
    ignore leading spaces, so any of those could turn ``/\\t/evil.example``
    into ``//evil.example``; they are refused outright, as are non-ASCII
    characters (look-alike slashes and dots), dot segments, and
    percent-encoded forms of all that, in case anything on the way decodes them.
    """
    if not target or len(target) > MAX_TARGET_LENGTH or not target.isascii():
        return False
    for candidate in (target, unquote(target)):
        if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
            return False
        if "\\" in candidate or any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
        # "/..//evil.example" stays on this host, but dot segments are never ours.
        if any(segment in (".", "..") for segment in parts.path.split("/")):
            return False
    return True


def safe_target(target: str | None, fallback_endpoint: str) -> str:
    """``target`` when it is a path on this site, else the URL of ``fallback_endpoint``."""
    if target is not None and is_safe_target(target):
        return target
    return url_for(fallback_endpoint)
