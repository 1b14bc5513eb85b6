"""The Atom 1.0 feed of policy versions (pure: data in, XML bytes out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    url: str
    published: datetime
    summary: str
    content_html: str
    diff_url: str | None = None


@dataclass(frozen=True)
class Feed:
    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str
    lang: str
    author_name: str
    author_email: str
    entries: Sequence[FeedEntry]


def rfc3339(moment: datetime) -> str:
    """Stored times are naive UTC; Atom wants an explicit offset."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    element.text = text
    return element


def _link(parent: ET.Element, href: str, rel: str, type_: str | None = None) -> None:
    attrs = {"href": href, "rel": rel}
    if type_:
        attrs["type"] = type_
    ET.SubElement(parent, f"{{{ATOM_NS}}}link", attrs)


def build_feed(feed: Feed) -> bytes:
    """Entries in the order given (newest version first); the feed's updated time is the
    latest entry's."""
    ET.register_namespace("", ATOM_NS)
    root = ET.Element(f"{{{ATOM_NS}}}feed", {"xml:lang": feed.lang})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    _text(root, "subtitle", feed.subtitle)
    entries = list(feed.entries)
    latest = max((e.published for e in entries), default=datetime(1970, 1, 1))
    _text(root, "updated", rfc3339(latest))
    _link(root, feed.self_url, "self", "application/atom+xml")
    _link(root, feed.page_url, "alternate", "text/html")
    author = ET.SubElement(root, f"{{{ATOM_NS}}}author")
    _text(author, "name", feed.author_name)
    if feed.author_email:
        _text(author, "email", feed.author_email)
    for entry in entries:
        element = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
        _text(element, "id", entry.id)
        _text(element, "title", entry.title)
        _text(element, "published", rfc3339(entry.published))
        _text(element, "updated", rfc3339(entry.published))
        _link(element, entry.url, "alternate", "text/html")
        if entry.diff_url:
            _link(element, entry.diff_url, "related", "text/html")
        _text(element, "summary", entry.summary)
        _text(element, "content", entry.content_html, type="html")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
