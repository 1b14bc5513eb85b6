"""Fuzzing the HTML forms: the contact form, the staff sign-in and every ``next=``.

Any values, missing fields, repeated fields, files or JSON in place of text → the
form again with its errors (4xx) or the usual success; never a 500; a refused form
stores nothing, and no ``next=`` ever leads off the gateway."""

from __future__ import annotations

import io
import json
import weakref
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from gateway.contact.services import clean_text
from tests.admin_support import PASSWORD, make_user
from tests.conftest import AppFactory
from tests.contact_support import HTTPS, browser_like_client, hidden_inputs
from tests.fuzz_support import FUZZ, assert_clean_answer, form_text, header_text, row_counts

CONTACT_TABLES = ("contact_requests", "contact_messages", "contact_audit", "outbound_mail")
FIELDS = ("email", "name", "request_type", "message", "contract_number", "service_date")
field_values: st.SearchStrategy[Any] = st.one_of(
    form_text,
    st.sampled_from(
        [
            "ivan@hottelecom.example",
            "access",
            "refund",
            "withdraw-consent",
            "2026-11-20",
            "9999-12-31",
            "0001-01-01",
            "2026-W01-1",
            "\x00",
            " " * 300,
            "x" * 6000,
        ]
    ),
    st.lists(form_text, min_size=2, max_size=3),
    st.builds(lambda b: (io.BytesIO(b), "upload.txt"), st.binary(max_size=20)),
)
contact_forms = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(FIELDS, field_values),
        "consent_id": st.one_of(field_values, st.just("abcd-efgh-ijkl-mnop")),
        "website": st.one_of(st.just(""), field_values),
    },
)


@FUZZ
@given(fields=contact_forms, token=st.sampled_from(["page", "missing", "garbage"]))
def test_any_contact_form_gets_a_clean_answer(
    app_factory: AppFactory, fields: dict[str, Any], token: str
) -> None:
    app = _contact_app(app_factory)
    client = browser_like_client(app)
    page = client.get("/contact", base_url=HTTPS)
    data: dict[str, Any] = hidden_inputs(page.get_data(as_text=True))
    if token == "missing":
        del data["csrf_token"]
    elif token == "garbage":
        data["csrf_token"] = "x"
    # A valid request, some of whose fields are then replaced, added or left out.
    data.update(email="ivan@hottelecom.example", request_type="question", message="Hello")
    for name, value in fields.items():
        if value == "" and name != "website":
            data.pop(name, None)
        else:
            data[name] = value
    before = row_counts(app, CONTACT_TABLES)
    response = client.post("/contact", data=data, base_url=HTTPS)
    assert_clean_answer(response, json_errors=False)
    after = row_counts(app, CONTACT_TABLES)
    if response.status_code == 303:
        assert token == "page"
        assert urlsplit(response.headers["Location"]).path == "/contact/sent"
        # A filled honeypot gets the same answer, and nothing is stored.
        stored = 0 if data.get("website") else 1
        assert after["contact_requests"] == before["contact_requests"] + stored
        return
    assert after == before
    assert response.status_code in (200, 400)
    html = response.get_data(as_text=True)
    typed = data.get("message")
    if response.status_code == 400 and token == "page" and isinstance(typed, str):
        # What was typed is kept (control characters aside) when the form comes back.
        assert str(escape(clean_text(typed).strip())) in html


_APPS: weakref.WeakKeyDictionary[AppFactory, Flask] = weakref.WeakKeyDictionary()


def _contact_app(app_factory: AppFactory) -> Flask:
    """One app per test function (its examples share it), without the fill-time wait."""
    if app_factory not in _APPS:
        _APPS[app_factory] = app_factory(CONTACT_MIN_FILL_SECONDS=0)
    return _APPS[app_factory]


# Each sign-in attempt checks a password hash (~0.1 s, on purpose): fewer examples.
@settings(FUZZ, max_examples=12)
@given(
    body=st.one_of(
        st.builds(json.dumps, st.dictionaries(st.sampled_from(FIELDS), st.integers())),
        st.sampled_from(["[1, 2]", '"x"', "null", "{", "[" * 3000]),
    )
)
def test_json_bodies_on_the_forms_are_refused_cleanly(app_factory: AppFactory, body: str) -> None:
    """Flask-WTF fills forms from JSON too, with numbers and lists where text belongs."""
    app = _contact_app(app_factory)
    client = browser_like_client(app)
    token = hidden_inputs(client.get("/contact", base_url=HTTPS).get_data(as_text=True))
    before = row_counts(app, CONTACT_TABLES)
    for path in ("/contact", "/admin/login"):
        response = client.post(
            path,
            data=body,
            content_type="application/json",
            base_url=HTTPS,
            headers={"X-CSRFToken": token["csrf_token"]},
        )
        assert_clean_answer(response, json_errors=False)
        assert response.status_code in (400, 401)
    assert row_counts(app, CONTACT_TABLES) == before


next_targets = st.one_of(
    form_text,
    st.sampled_from(
        [
            "//evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/admin",
            "http:evil.example",
            "/%2F/evil.example",
            "/admin\r\nLocation: https://evil.example",
            "/\tevil.example",
            " //evil.example",
            "javascript:alert(1)",
            "/admin/requests?x=1#y",
            "/./evil.example",
            "///evil.example",
            "/admin/../\\evil.example",
            "\x00//evil.example",
        ]
    ),
    st.builds(lambda s: "/" + s, form_text),
    st.builds(lambda s: "//" + s, form_text),
)


def _stays_on_gateway(location: str) -> bool:
    target = urlsplit(location)
    host_ok = target.netloc in ("", "gateway.example")
    # Browsers read a backslash as a slash: "/\\evil" is "//evil".
    path = target.path.replace("\\", "/")
    return host_ok and target.scheme in ("", "https") and not path.startswith("//")


@settings(FUZZ, max_examples=30)
@given(
    email=form_text,
    password=form_text,
    target=next_targets,
    known=st.booleans(),
    with_token=st.booleans(),
)
def test_sign_in_form_never_errs_and_next_never_leaves_the_gateway(
    app_factory: AppFactory,
    email: str,
    password: str,
    target: str,
    known: bool,
    with_token: bool,
) -> None:
    app = _contact_app(app_factory)
    if "tests.fuzz.staff" not in app.extensions:
        make_user(app, "staff@hottelecom.example")
        app.extensions["tests.fuzz.staff"] = True
    client = browser_like_client(app)
    page = client.get("/admin/login", base_url=HTTPS, query_string={"next": target})
    assert page.status_code == 200
    data = hidden_inputs(page.get_data(as_text=True))
    if not with_token:
        data.pop("csrf_token")
    if known:
        data.update(email="Staff@hottelecom.example ", password=PASSWORD)
    else:
        data.update(email=email, password=password)
    before = row_counts(app, ("users",))
    response = client.post("/admin/login", data=data, base_url=HTTPS)
    assert_clean_answer(response, json_errors=False)
    assert row_counts(app, ("users",)) == before
    if response.status_code != 303:
        assert response.status_code in (400, 401)
        return
    assert known
    assert with_token
    assert _stays_on_gateway(response.headers["Location"]), response.headers["Location"]
    # Signed in, the sign-in page sends straight on: to the same kind of place only.
    again = client.get("/admin/login", base_url=HTTPS, query_string={"next": target})
    assert again.status_code == 302
    assert _stays_on_gateway(again.headers["Location"]), again.headers["Location"]
    client.post("/admin/logout", base_url=HTTPS, data={"csrf_token": data.get("csrf_token", "")})


@FUZZ
@given(
    query=st.dictionaries(st.sampled_from(["type", "consent_id", "lang"]), form_text),
    accept=header_text,
)
def test_any_contact_page_query_gets_the_form(
    app_factory: AppFactory, query: dict[str, str], accept: str
) -> None:
    app = _contact_app(app_factory)
    response = app.test_client().get(
        "/contact", query_string=query, headers={"Accept-Language": accept}, base_url=HTTPS
    )
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)


@FUZZ
@given(token=st.text(st.characters(codec="utf-8"), min_size=1, max_size=200))
def test_any_contact_link_token_gets_a_page(app_factory: AppFactory, token: str) -> None:
    from urllib.parse import quote

    app = _contact_app(app_factory)
    client = app.test_client()
    for prefix in ("/contact/verify/", "/contact/status/", "/contact/data/"):
        response = client.get(prefix + quote(token, safe=""), base_url=HTTPS)
        assert_clean_answer(response, json_errors=False)
        assert response.status_code in (308, 400, 404)


# -- regressions found by the properties above ----------------------------------------------


def test_a_file_sent_as_a_contact_field_is_not_text(app_factory: AppFactory) -> None:
    """Flask-WTF put the upload itself in the field; clean_text() of it raised (500)."""
    app = app_factory(CONTACT_MIN_FILL_SECONDS=0)
    client = browser_like_client(app)
    data: dict[str, Any] = hidden_inputs(
        client.get("/contact", base_url=HTTPS).get_data(as_text=True)
    )
    data.update(
        email=(io.BytesIO(b"ivan@hottelecom.example"), "e.txt"),
        request_type="question",
        message="Hello",
    )
    response = client.post("/contact", data=data, base_url=HTTPS)
    assert response.status_code == 400
    assert "Hello" in response.get_data(as_text=True)
    assert row_counts(app, CONTACT_TABLES)["contact_requests"] == 0


def test_a_json_body_on_the_sign_in_form_is_a_failed_sign_in(app: Flask) -> None:
    """A JSON array made ImmutableMultiDict() raise; numbers broke the address checks."""
    client = browser_like_client(app)
    token = hidden_inputs(client.get("/admin/login", base_url=HTTPS).get_data(as_text=True))
    for body in ("[1, 2]", json.dumps({"email": 5, "password": 7, **token})):
        response = client.post(
            "/admin/login",
            data=body,
            content_type="application/json",
            base_url=HTTPS,
            headers={"X-CSRFToken": token["csrf_token"]},
        )
        assert response.status_code == 401
        assert "Sign in" in response.get_data(as_text=True) or "sign in" in response.get_data(
            as_text=True
        )
