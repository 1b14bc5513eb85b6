"""Policy Markdown to safe HTML: pure functions, no request and no database.

Texts are stored with a ``{{contact_email}}`` placeholder so that the address
shown is always the CONTACT_EMAIL setting of the running gateway.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode

from gateway.jsonbody import storable_text

CONTACT_EMAIL_PLACEHOLDER = re.compile(r"\{\{\s*contact_email\s*\}\}")
# Markdown may percent-encode the braces when the placeholder sits in a link target.
_ENCODED_PLACEHOLDER = re.compile(r"%7B%7B\s*contact_email\s*%7D%7D", re.IGNORECASE)
_TITLE_LINE = re.compile(r"\A\s*#(?!#)\s*(?P<title>[^\n]+?)\s*#*\s*(?:\n|\Z)")
_SAFE_ID = re.compile(r"^[\w-]{1,80}$")

DEFAULT_TITLES = {"en": "Privacy Policy", "ru": "Политика конфиденциальности"}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "dl", "dt", "em", "h2", "h3", "h4",
    "hr", "i", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_CLASSES = {"a": {"headerlink"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass(frozen=True)
class TocEntry:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class Rendered:
    html: str
    toc: tuple[TocEntry, ...]


def split_title(text: str, lang: str) -> tuple[str, str]:
    """A leading ``# Title`` line becomes the title; the rest is the body."""
    match = _TITLE_LINE.match(text)
    if match:
        return match["title"].strip(), text[match.end() :].strip() + "\n"
    return DEFAULT_TITLES.get(lang, DEFAULT_TITLES["en"]), text.strip() + "\n"


def substitute(text: str, contact_email: str) -> str:
    """The Markdown as readers see it: placeholders replaced by the configured values."""
    return CONTACT_EMAIL_PLACEHOLDER.sub(lambda _m: contact_email, text)


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "id" and not _SAFE_ID.match(value):
        return None
    return value


def sanitize(fragment: str) -> str:
    """Only the tags, attributes and URL schemes a policy needs survive."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_keep_attribute,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render(text: str, contact_email: str, *, permalinks: bool = True) -> Rendered:
    """Safe HTML of a policy body, with its table of contents (second-level headings)."""
    # The sanitizer takes UTF-8 only: a lone surrogate (in a draft being previewed,
    # say) would make it raise instead of render.
    text = storable_text(text)
    converter = markdown.Markdown(
        extensions=["attr_list", "sane_lists", "tables", "toc"],
        extension_configs={
            "toc": {
                "slugify": slugify_unicode,
                "permalink": "#" if permalinks else False,
                "permalink_title": "",
                "toc_depth": "2-3",
            }
        },
        output_format="html",
    )
    raw = converter.convert(text)
    # Substituted after Markdown so no character of the address is read as
    # Markdown syntax; the value is escaped, and the sanitizer still runs last.
    email = html.escape(contact_email, quote=True)
    raw = CONTACT_EMAIL_PLACEHOLDER.sub(lambda _m: email, raw)
    raw = _ENCODED_PLACEHOLDER.sub(lambda _m: email, raw)
    safe = sanitize(raw)
    tokens: list[dict[str, Any]] = getattr(converter, "toc_tokens", [])
    toc = tuple(
        TocEntry(str(token["id"]), html.unescape(str(token["name"])), 2)
        for token in tokens
        if token.get("level") == 2 and _SAFE_ID.match(str(token.get("id", "")))
    )
    return Rendered(safe, toc)
