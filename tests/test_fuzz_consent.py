"""Fuzzing the consent API: bodies, Authorization headers, consent ids in the path and the
consent-config query. Any input → a success or a 4xx JSON error; a refused decision
appends nothing to the proof of consent, and the chain stays valid."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from gateway.consent import chain
from gateway.extensions import db
from tests.conftest import DESKTOP_UA
from tests.consent_helpers import ORIGIN, config, recorded_token
from tests.fuzz_support import (
    FUZZ,
    any_text,
    assert_clean_answer,
    encode_json,
    form_text,
    header_text,
    huge_numbers,
    json_values,
    odd_bodies,
    row_counts,
)

TABLES = ("consent_records", "consent_chain_head")
HEADERS = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}


def _field_values(cfg: dict[str, Any]) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "site": st.one_of(st.sampled_from(["shop", "x" * 70, ""]), any_text, json_values),
        "choices": st.one_of(
            st.dictionaries(
                st.one_of(st.sampled_from(["analytics", "marketing", "necessary"]), any_text),
                st.one_of(st.booleans(), json_values),
                max_size=4,
            ),
            json_values,
        ),
        "policy_version": st.one_of(huge_numbers, json_values),
        "language": st.one_of(st.sampled_from(["ru", "EN", "de", ""]), json_values),
        "text_hash": st.one_of(st.just(cfg["text_hash"].upper()), any_text, json_values),
        "token": st.one_of(any_text, json_values),
        "gpc": st.one_of(st.booleans(), json_values),
    }


@st.composite
def _decision_bodies(draw: st.DrawFn, cfg: dict[str, Any]) -> dict[str, Any]:
    """A valid decision with a few fields replaced by something hostile, or left out."""
    body: dict[str, Any] = {
        "site": "hottelecom",
        "choices": draw(
            st.fixed_dictionaries(
                {}, optional={"analytics": st.booleans(), "marketing": st.booleans()}
            )
        ),
        "policy_version": cfg["policy_version"],
        "language": "en",
        "text_hash": cfg["text_hash"],
    }
    values = _field_values(cfg)
    for name in draw(st.sets(st.sampled_from(sorted(values)), max_size=3)):
        if name in body and draw(st.booleans()):
            del body[name]
        else:
            body[name] = draw(values[name])
    return body


def _chain_valid(app: Flask) -> bool:
    with app.app_context():
        return chain.verify(db.session()).ok


@FUZZ
@given(
    data=st.data(), content_type=st.sampled_from(["application/json", "text/plain", "text/html"])
)
def test_any_consent_body_gets_a_clean_answer(
    app: Flask, data: st.DataObject, content_type: str
) -> None:
    client = app.test_client()
    cfg = config(client)
    body = data.draw(
        st.one_of(
            odd_bodies,
            st.builds(encode_json, json_values, st.booleans()),
            st.builds(encode_json, _decision_bodies(cfg), st.booleans()),
            st.builds(encode_json, _decision_bodies(cfg), st.booleans()),
        )
    )
    authorization = data.draw(st.one_of(st.none(), header_text, header_text.map("Bearer ".__add__)))
    headers = dict(HEADERS)
    if authorization is not None:
        headers["Authorization"] = authorization
    before = row_counts(app, TABLES)
    response = client.post("/api/v1/consent", data=body, content_type=content_type, headers=headers)
    assert_clean_answer(response, json_errors=True)
    after = row_counts(app, TABLES)
    if response.status_code == 201:
        answer = response.get_json()
        assert after["consent_records"] == before["consent_records"] + 1
        assert answer["choices"]["necessary"] is True
        assert set(answer["choices"]) == {"necessary", "analytics", "marketing"}
    else:
        assert after == before
    assert _chain_valid(app)


def _valid_token(app: Flask) -> str:
    """A real token of consent id ``c-1`` on this app's database (made once per app)."""
    if "tests.fuzz.token" not in app.extensions:
        app.extensions["tests.fuzz.token"] = recorded_token(app, consent_id="c-1")
    return str(app.extensions["tests.fuzz.token"])


@FUZZ
@given(
    consent_id=st.one_of(
        any_text.filter(bool), st.sampled_from(["c-1", "C-1", "c-1\x00", "..", "a/b", "x" * 500])
    ),
    authorization=st.one_of(
        st.none(), header_text, header_text.map("Bearer ".__add__), st.just("VALID")
    ),
    method=st.sampled_from(["GET", "DELETE"]),
)
def test_any_consent_id_and_authorization_get_a_clean_answer(
    app: Flask, consent_id: str, authorization: str | None, method: str
) -> None:
    client = app.test_client()
    headers = dict(HEADERS)
    if authorization == "VALID":
        authorization = "Bearer " + _valid_token(app)
    if authorization is not None:
        headers["Authorization"] = authorization
    path = "/api/v1/consent/" + quote(consent_id.encode("utf-8", "surrogatepass"), safe="")
    before = row_counts(app, TABLES)
    response = client.open(path, method=method, headers=headers)
    assert_clean_answer(response, json_errors=True)
    if response.status_code == 200:
        assert consent_id == "c-1"
        assert response.get_json()["consent_id"] == "c-1"
        if method == "DELETE":
            assert response.get_json()["withdrawn"] is True
        return
    # 308: the router's own path normalisation (e.g. a trailing slash).
    assert response.status_code in (308, 401, 403, 404, 405)
    assert row_counts(app, TABLES) == before


@FUZZ
@given(
    site=st.one_of(st.sampled_from(["hottelecom", "shop"]), any_text.filter(bool)),
    lang=st.one_of(st.none(), form_text, st.sampled_from(["ru", "EN", "ru-RU", "\x00", "de"])),
    accept=st.one_of(st.none(), header_text),
)
def test_any_consent_config_query_gets_a_clean_answer(
    app: Flask, site: str, lang: str | None, accept: str | None
) -> None:
    client = app.test_client()
    headers = {"Accept-Language": accept} if accept is not None else {}
    path = f"/api/v1/sites/{quote(site.encode('utf-8', 'surrogatepass'), safe='')}/consent-config"
    response = client.get(
        path, query_string={"lang": lang} if lang is not None else {}, headers=headers
    )
    assert_clean_answer(response, json_errors=True)
    if site in ("hottelecom", "shop"):
        assert response.status_code == 200
        answer = response.get_json()
        assert answer["language"] in answer["languages"]
    else:
        # 308: the router's own path normalisation ("." and ".." segments).
        assert response.status_code in (308, 404)


# -- regressions found by the properties above ----------------------------------------------


def test_deeply_nested_consent_body_is_a_400(app: Flask) -> None:
    """json.loads raises RecursionError, not ValueError, past ~1000 levels: it was a 500."""
    response = app.test_client().post(
        "/api/v1/consent", data=b"[" * 50_000, content_type="application/json", headers=HEADERS
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_json"


def test_lone_surrogate_token_in_a_consent_body_is_an_invalid_token(app: Flask) -> None:
    """itsdangerous encodes the token to UTF-8 before checking it: a lone surrogate raised."""
    client = app.test_client()
    cfg = config(client)
    body = (
        '{"site":"hottelecom","token":"\\ud800","choices":{},"language":"en",'
        f'"policy_version":{cfg["policy_version"]},"text_hash":"{cfg["text_hash"]}"}}'
    )
    response = client.post("/api/v1/consent", data=body, content_type="text/plain", headers=HEADERS)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"
    assert row_counts(app, TABLES)["consent_records"] == 0


def test_utf16_and_encoded_surrogate_bodies_are_refused(app: Flask) -> None:
    client = app.test_client()
    for body in ('{"site":"hottelecom"}'.encode("utf-16"), b'{"site":"\xed\xa0\x80"}'):
        response = client.post(
            "/api/v1/consent", data=body, content_type="application/json", headers=HEADERS
        )
        assert response.status_code == 400
        assert (
            response.get_json()["error"]["message"]
            == "malformed JSON: body is not valid JSON (not UTF-8 text)"
        )


@FUZZ
@given(site=st.one_of(st.sampled_from(["hottelecom", "x*/alert(1)/*", "a\u2028b"]), any_text))
def test_any_banner_script_path_gets_valid_javascript(app: Flask, site: str) -> None:
    """Unknown sites get a comment, so a wrong tag never breaks (or injects into) the host page."""
    path = "/c/" + quote(site.encode("utf-8", "surrogatepass"), safe="") + ".js"
    response = app.test_client().get(path)
    assert response.status_code in (200, 308, 404)
    if response.status_code == 404 and response.mimetype == "text/javascript":
        script = response.get_data(as_text=True)
        assert script.startswith("/*")
        assert script.count("*/") == 1
        assert script.rstrip().endswith("*/")
        assert "\u2028" not in script
