"""Fuzzing the analytics intake: any body or query → 202/204, or a 4xx JSON error; never a
500, and a refused request writes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DESKTOP_UA
from tests.fuzz_support import (
    FUZZ,
    any_text,
    assert_clean_answer,
    encode_json,
    form_text,
    huge_numbers,
    json_values,
    odd_bodies,
    row_counts,
    table_sums,
)

# One request and three counts per example: cheap enough for more examples.
CHEAP = settings(FUZZ, max_examples=120)
TABLES = ("outbox_events", "aggregate_counts", "collect_stats")
HEADERS = {"User-Agent": DESKTOP_UA}
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json",
        "text/plain",
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)
page_urls = st.one_of(
    any_text,
    st.builds(lambda path: "https://hottelecom.example/" + path, any_text),
    st.sampled_from(
        [
            "https://hottelecom.example/a%00b?utm_source=x\x00y#frag",
            "http://localhost:99999999/",
            "https://[::1/",
            "https://user:pw@hottelecom.example/ivan@example.com/",
            "javascript:alert(1)",
        ]
    ),
)
events = st.lists(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"name": st.one_of(st.sampled_from(["page_view", "click", "_x"]), json_values)},
            optional={
                "params": st.one_of(
                    json_values, st.dictionaries(any_text, st.one_of(huge_numbers, any_text))
                )
            },
        ),
    ),
    max_size=27,
)
collect_shaped = st.fixed_dictionaries(
    {},
    optional={
        "site": st.one_of(st.sampled_from(["hottelecom", "shop", "", "HOTTELECOM"]), json_values),
        "consent": st.one_of(any_text, json_values),
        "page": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {"url": page_urls},
                optional={"referrer": st.one_of(page_urls, json_values), "title": any_text},
            ),
        ),
        "events": st.one_of(json_values, events),
    },
)
# Mostly well-formed requests with hostile values, so examples reach the pipeline and
# the database, not only the shape checks.
well_formed = st.fixed_dictionaries(
    {
        "site": st.just("hottelecom"),
        "page": st.fixed_dictionaries(
            {"url": st.one_of(page_urls, st.just("https://hottelecom.example/"))},
            optional={"referrer": page_urls, "title": any_text},
        ),
        "events": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["page_view", "click", "sign_up", "x" * 41, "ga_x"])},
                optional={
                    "params": st.dictionaries(
                        st.one_of(st.sampled_from(["value", "email", "page_location"]), any_text),
                        st.one_of(huge_numbers, any_text, json_values),
                        max_size=30,
                    )
                },
            ),
            min_size=1,
            max_size=26,
        ),
    },
    optional={"consent": any_text},
)
collect_bodies = st.one_of(
    odd_bodies,
    st.builds(encode_json, st.one_of(collect_shaped, json_values), st.booleans()),
    st.builds(encode_json, well_formed, st.booleans()),
    st.builds(encode_json, well_formed, st.booleans()),
)


def _collect_counts(app: Flask) -> tuple[dict[str, int], int]:
    return row_counts(app, TABLES), table_sums(app, "aggregate_counts", "count")


@CHEAP
@given(body=collect_bodies, content_type=CONTENT_TYPES)
def test_any_collect_body_gets_a_clean_answer(app: Flask, body: bytes, content_type: str) -> None:
    client = app.test_client()
    before = _collect_counts(app)
    response = client.post("/api/v1/collect", data=body, content_type=content_type, headers=HEADERS)
    assert_clean_answer(response, json_errors=True)
    if response.status_code >= 400:
        assert _collect_counts(app) == before
        return
    assert response.status_code == 202
    answer = response.get_json()
    sent = json.loads(body.decode("utf-8-sig", "surrogatepass"))["events"]
    assert answer["accepted"] + answer["dropped"] == len(sent)
    assert answer["mode"] in ("event", "aggregate")


gtag_keys = st.one_of(
    st.sampled_from(
        ["v", "tid", "en", "dl", "dr", "dt", "cid", "gcs", "_et", "ep.x", "epn.n", "_p", "sid"]
    ),
    st.builds(lambda k: "ep." + k, form_text),
    st.builds(lambda k: "epn." + k, form_text),
    form_text,
)
gtag_values = st.one_of(
    form_text,
    st.sampled_from(
        [
            "2",
            "G-TEST000001",
            "G-test000001",
            "https://hottelecom.example/x",
            "G111",
            "G100",
            "inf",
            "-inf",
            "nan",
            "1e400",
            "-1e400",
            "9" * 400,
            "\x00",
        ]
    ),
)
numeric_fields = st.tuples(
    st.sampled_from(["_et", "epn.value", "epn.n"]),
    st.sampled_from(["inf", "-inf", "nan", "1e400", "-1e400", "1e20", "-5", "0.5", "9" * 400]),
)
gtag_fields = st.lists(st.one_of(st.tuples(gtag_keys, gtag_values), numeric_fields), max_size=12)
# A hit gtag would send with analytics granted (event mode), before the fuzzed fields.
_BASE = [
    ("v", "2"),
    ("tid", "G-TEST000001"),
    ("en", "page_view"),
    ("dl", "https://hottelecom.example/"),
    ("gcs", "G111"),
    ("cid", "123.456"),
]


def _query(pairs: list[tuple[str, str]], with_base: bool) -> str:
    return urlencode((_BASE if with_base else []) + pairs, quote_via=quote)


gtag_queries = st.one_of(
    st.builds(_query, gtag_fields, st.booleans()),
    st.text(st.characters(codec="ascii"), max_size=120),
)
gtag_bodies = st.one_of(
    st.lists(st.builds(_query, gtag_fields, st.just(False)), max_size=27).map(
        lambda lines: "\n".join(lines).encode()
    ),
    st.binary(max_size=200),
    st.sampled_from([b"en=x\r\nen=y", b"\xed\xa0\x80", b"en=a%ED%A0%80&ep.t=%00", b"\n" * 40]),
)


@CHEAP
@given(query=gtag_queries, raw_query=st.binary(max_size=60), use_raw=st.booleans())
def test_any_gtag_query_gets_a_clean_answer(
    app: Flask, query: str, raw_query: bytes, use_raw: bool
) -> None:
    client = app.test_client()
    before = _collect_counts(app)
    # WSGI hands the query over as latin-1 text: any bytes at all can arrive.
    raw = (b"v=2&tid=G-TEST000001&en=x&" + raw_query).decode("latin-1")
    response = client.get(
        "/g/collect",
        headers=HEADERS,
        environ_overrides={"QUERY_STRING": raw if use_raw else query},
    )
    assert_clean_answer(response, json_errors=True)
    if response.status_code >= 400:
        assert _collect_counts(app) == before
    else:
        assert response.status_code == 204


GTAG_CONTENT_TYPES = st.sampled_from(["text/plain", "text/plain", "", "application/json"])


@CHEAP
@given(
    query=st.one_of(st.builds(_query, gtag_fields, st.just(True)), gtag_queries),
    body=gtag_bodies,
    content_type=GTAG_CONTENT_TYPES,
)
def test_any_batched_gtag_body_gets_a_clean_answer(
    app: Flask, query: str, body: bytes, content_type: str
) -> None:
    client = app.test_client()
    before = _collect_counts(app)
    response = client.post(
        "/g/collect?" + query, data=body, content_type=content_type, headers=HEADERS
    )
    assert_clean_answer(response, json_errors=True)
    if response.status_code >= 400:
        assert _collect_counts(app) == before
    else:
        assert response.status_code == 204


# -- regressions found by the properties above ----------------------------------------------


def test_non_finite_gtag_engagement_time_is_ignored(app: Flask) -> None:
    """float("inf") parses, int() of it raised: `_et=inf` answered 500."""
    client = app.test_client()
    for value in ("inf", "-inf", "nan", "1e400"):
        response = client.get(
            "/g/collect",
            query_string=f"v=2&tid=G-TEST000001&en=page_view&gcs=G111&cid=1.2&_et={value}"
            "&epn.price=inf&dl=https%3A%2F%2Fhottelecom.example%2F",
            headers=HEADERS,
        )
        assert response.status_code == 204, value
    with app.app_context():
        from gateway.analytics.models import OutboxEvent
        from gateway.extensions import db

        events = [json.loads(e.event_json) for e in db.session.query(OutboxEvent).all()]
    assert len(events) == 4
    for event in events:
        assert event["params"]["engagement_time_msec"] == 1  # nothing usable was measured
        assert "price" not in event["params"]


def test_lone_surrogates_and_nul_in_collect_bodies_are_stored_as_text(app: Flask) -> None:
    """A lone surrogate (an emoji cut in half by a page's script) made the write raise."""
    client = app.test_client()
    escaped = (
        b'{"site":"hottelecom","consent":"\\ud800",'
        b'"page":{"url":"https://hottelecom.example/caf\\udce9/a\\u0000b"},'
        b'"events":[{"name":"page_view","params":{"t\\u0000":"x\\ud83d"}}]}'
    )
    response = client.post("/api/v1/collect", data=escaped, json=None, headers=HEADERS)
    assert response.status_code == 415
    response = client.post(
        "/api/v1/collect", data=escaped, content_type="application/json", headers=HEADERS
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["accepted"] == 1
    with app.app_context():
        from gateway.analytics.models import AggregateCount
        from gateway.extensions import db

        paths = [row.page_path for row in db.session.query(AggregateCount).all()]
    assert paths == ["/caf\ufffd/ab"]
    # Encoded surrogates in raw bytes are not UTF-8: a clear 400, nothing written.
    raw = b'{"site":"hottelecom","page":{"url":"https://hottelecom.example/\xed\xa0\x80"},'
    raw += b'"events":[{"name":"x"}]}'
    response = client.post("/api/v1/collect", data=raw, content_type="text/plain", headers=HEADERS)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "body is not valid JSON (not UTF-8 text)"


def test_nul_in_gtag_fields_is_dropped(app: Flask) -> None:
    client = app.test_client()
    response = client.get(
        "/g/collect",
        query_string="v=2&tid=G-TEST000001&en=page_view&dl=https%3A%2F%2Fhottelecom.example%2Fa%00b",
        headers=HEADERS,
    )
    assert response.status_code == 204
    with app.app_context():
        from gateway.analytics.models import AggregateCount
        from gateway.extensions import db

        paths = [row.page_path for row in db.session.query(AggregateCount).all()]
    assert paths == ["/ab"]
