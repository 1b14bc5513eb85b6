"""Shared pieces of the fuzz tests: strategies for hostile input and the answer property."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from gateway.extensions import db

# One app (and database) per test function, many examples against it; each test
# stays within a few seconds on a 2-core machine.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every code point, lone surrogates included.
any_char = st.characters(codec=None, exclude_categories=())
any_text = st.one_of(
    st.text(any_char, max_size=40),
    # Rare in random text, common in real trouble: lone surrogates (an emoji cut in
    # half), NUL, bidi controls, astral characters, a JSON-looking string.
    st.sampled_from(["\ud800", "x\udc00y", "\ud83d", "a\x00b", "\u202e", "𝕏😀", '{"a":1}']),
)
# Text a form or query string can carry (no surrogates: they are not UTF-8).
form_text = st.text(st.characters(codec="utf-8"), max_size=60)
# Header values travel as latin-1: every such character but line breaks.
header_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=80,
)
huge_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([2**63, -(2**63) - 1, 10**300, 1e308, -1e308, 0.1, -0.0]),
)
scalars = st.one_of(st.none(), st.booleans(), huge_numbers, any_text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)
# Bodies JSON cannot express through json.dumps: non-finite and overlong numbers,
# deep nesting, raw surrogate bytes, other encodings, NUL bytes, garbage.
odd_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=50_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=30_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from(
        [
            b"1e400",
            b'{"site": 1e400}',
            b'{"site": NaN}',
            b'{"site": -Infinity}',
            b'{"site": ' + b"9" * 5000 + b"}",
            b'"\xed\xa0\x80"',
            b'{"site": "\xed\xb0\x80"}',
            '{"site": "hottelecom"}'.encode("utf-16"),
            b"\xef\xbb\xbf{}",
            b'{"site": "hot\x00telecom"}',
            b"\x00\x00\x00{",
            b"",
            b"   ",
            b"null",
        ]
    ),
)


def encode_json(value: Any, ascii_only: bool) -> bytes:
    """JSON as a client may send it: escaped, or raw UTF-8 with surrogates passed through."""
    if ascii_only:
        return json.dumps(value).encode("ascii")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def assert_clean_answer(response: TestResponse, *, json_errors: bool) -> None:
    """A success, or a 4xx that says what is wrong; never a 500 (or any 5xx)."""
    status = response.status_code
    event(f"status {status}")
    assert status < 500, (status, response.get_data(as_text=True)[:300])
    if status < 400:
        return
    if json_errors:
        assert response.mimetype == "application/json", response.mimetype
        error = response.get_json()["error"]
        assert isinstance(error["code"], str)
        assert error["code"]
        assert isinstance(error["message"], str)
        assert error["message"]
    else:
        assert response.mimetype == "text/html", response.mimetype
        page = response.get_data(as_text=True)
        assert "<html" in page
        assert "</html>" in page


def row_counts(app: Flask, tables: Iterable[str]) -> dict[str, int]:
    with app.app_context():
        session = db.session()
        counts = {
            name: int(session.scalar(sa.text(f"SELECT count(*) FROM {name}")) or 0)
            for name in tables
        }
        session.rollback()
        return counts


def table_sums(app: Flask, table: str, column: str) -> int:
    with app.app_context():
        session = db.session()
        total = int(session.scalar(sa.text(f"SELECT coalesce(sum({column}), 0) FROM {table}")) or 0)
        session.rollback()
        return total


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster"})


def unsafe_markup(html: str, *, nonced_scripts_allowed: bool = False) -> list[str]:
    """Every <script>, event handler attribute and javascript: URL an HTML text holds."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    problems = []
    for tag, attrs in parser.tags:
        names = {name for name, _ in attrs}
        if tag in ("script", "iframe", "object", "embed", "style") and not (
            nonced_scripts_allowed and "nonce" in names
        ):
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"{tag} {name}=")
            if name in URL_ATTRIBUTES and value is not None:
                squeezed = "".join(ch for ch in value if ch > " ").lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:")):
                    problems.append(f"{tag} {name}={value!r}")
    return problems
