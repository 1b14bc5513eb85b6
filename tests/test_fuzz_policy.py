"""Fuzzing the policy pages and API paths, and the policy Markdown: any Markdown is
published or refused with a reason, and renders without a script, an event handler or
a javascript: URL."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from gateway.extensions import db
from gateway.policy.publishing import PublishError
from gateway.policy.rendering import render
from gateway.policy.store import publish_version
from gateway.timeutil import today
from tests.fuzz_support import (
    FUZZ,
    any_char,
    assert_clean_answer,
    form_text,
    header_text,
    unsafe_markup,
)

numbers = st.one_of(
    st.integers(min_value=-5, max_value=5),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([2**31, 2**31 - 1, 2**63, 10**400]),
)
segments = st.one_of(
    numbers.map(str),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.sampled_from(["1.0", "0x1", "１", "1e3", "%00", " 1", "1/", ""]),
)


def _path(*parts: str) -> str:
    return "/".join(quote(part, safe="") for part in parts)


@FUZZ
@given(
    kind=st.sampled_from(["page", "diff", "api"]),
    a=segments,
    b=segments,
    lang=st.one_of(st.none(), form_text),
)
def test_any_policy_path_gets_a_clean_answer(
    app: Flask, kind: str, a: str, b: str, lang: str | None
) -> None:
    client = app.test_client()
    path = {
        "page": "/privacy/v/" + _path(a),
        "diff": "/privacy/diff/" + _path(a, b),
        "api": "/api/v1/policy/" + _path(a),
    }[kind]
    response = client.get(path, query_string={"lang": lang} if lang is not None else {})
    assert_clean_answer(response, json_errors=kind == "api")
    if response.status_code == 200:
        # Only version 1 exists (the router reads any Unicode digits, e.g. "１").
        assert int(a) == 1
        assert kind != "diff" or int(b) == 1
    else:
        assert response.status_code in (308, 404)


@FUZZ
@given(lang=st.one_of(st.none(), form_text), accept=header_text)
def test_any_language_on_the_policy_pages(app: Flask, lang: str | None, accept: str) -> None:
    client = app.test_client()
    query = {"lang": lang} if lang is not None else {}
    headers = {"Accept-Language": accept}
    for path in ("/privacy", "/privacy/versions", "/privacy/feed.atom", "/api/v1/policy"):
        response = client.get(path, query_string=query, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Content-Language"] in ("ru", "en")


# Markdown with every trick for smuggling script into HTML, mixed with arbitrary text.
HOSTILE_MARKDOWN = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "<a href=' JaVaScRiPt:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    '[x](JAVASCRIPT:alert(1) "t")',
    "[x]( javascript&#58;alert(1))",
    "![x](javascript:alert(1))",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '## Heading {: onclick="alert(1)" }',
    "## Heading {: #x onmouseover=alert(1) }",
    'Paragraph\n{: onclick="alert(1)" }',
    "[x](https://ok.example){: onclick=alert(1) }",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{}</style>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<!-- <script>alert(1)</script> -->",
    "<object data=x></object><embed src=x>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>`",
    "    <script>alert(1)</script>",
    "{{contact_email}}",
    "[mail](mailto:{{contact_email}})",
    "| a | b |\n|---|---|\n| <script> | x |",
    "## <img src=x onerror=alert(1)>",
    "## &lt;script&gt;alert(1)&lt;/script&gt;",
    "# Title <script>\n",
    "\x00",
    "\ud800",
]
markdown_texts = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_MARKDOWN),
        st.text(any_char, max_size=30),
        st.sampled_from(["\n", "\n\n", "## ", "# ", "- ", "1. ", "> ", "`", "*", "[", "](", ")"]),
    ),
    max_size=12,
).map("".join)


@FUZZ
@given(text=markdown_texts)
def test_any_markdown_renders_to_safe_html(text: str) -> None:
    rendered = render(text, "privacy@hottelecom.example")
    assert unsafe_markup(rendered.html) == []
    for entry in rendered.toc:
        assert entry.anchor
        assert not set(entry.anchor) & set("<>\"' ")


@FUZZ
@given(text=markdown_texts, lang=st.sampled_from(["en", "ru"]))
def test_any_markdown_is_published_or_refused_and_its_page_is_safe(
    app: Flask, text: str, lang: str
) -> None:
    with app.app_context():
        session = db.session()
        try:
            number = publish_version(
                session, text=text, lang=lang, effective=today(), summary="Fuzzed", material=False
            )
        except PublishError:
            session.rollback()
            return
        session.commit()
    client = app.test_client()
    for path in (f"/privacy/v/{number}?lang={lang}", f"/privacy/diff/1/{number}?lang={lang}"):
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert unsafe_markup(page, nonced_scripts_allowed=True) == [], path
    api = client.get(f"/api/v1/policy/{number}?lang={lang}")
    assert api.status_code == 200
    assert unsafe_markup(api.get_json()["html"]) == []
    feed = client.get("/privacy/feed.atom")
    assert feed.status_code == 200


# -- regressions found by the properties above ----------------------------------------------


@pytest.mark.parametrize("text", ["# Title\n\nBody \x00 text", "Body \ud800 text"])
def test_unstorable_characters_are_refused_before_anything_is_written(
    app: Flask, text: str
) -> None:
    """NUL (which PostgreSQL refuses) or a lone surrogate (which UTF-8 cannot encode)
    reached the database from `gateway policy publish` and failed there."""
    with app.app_context():
        session = db.session()
        with pytest.raises(PublishError, match="NUL character"):
            publish_version(
                session, text=text, lang="en", effective=today(), summary="S", material=False
            )
        with pytest.raises(PublishError, match="summary contains a NUL"):
            publish_version(
                session, text="Body", lang="en", effective=today(), summary="S\x00", material=False
            )
        session.rollback()
