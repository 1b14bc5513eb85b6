"""Property: personal data injected into every field survives nowhere in the output.

The pipeline's output is what the intake stores: outbox rows (the payload the
forwarder sends), aggregate buckets and statistics, and the answer to the page.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.analytics.intake.pipeline import Context, Hit, Identity, Outcome, process
from gateway.sites import Site
from gateway.useragent import DeviceFacts
from tests import pii

SITE = Site(
    id="hottelecom",
    name="HotTelecom",
    origins=("https://hottelecom.example",),
    languages=("ru", "en"),
    query_allowlist=("utm_source", "utm_medium", "utm_campaign"),
)
DEVICE = DeviceFacts("Chrome", "131", "Windows", "desktop")
OURS = ("client_id", "session_id", "timestamp_micros", "engagement_time_msec")


def hits_carrying(secret: str, fill: str, identity: Identity | None) -> list[Hit]:
    q = quote(secret, safe="")
    url = (
        f"https://{q}@hottelecom.example/{fill}/{q}/{secret.replace('/', '')}/x"
        f"?utm_source={q}&utm_campaign={fill}{q}&phone={q}#{q}"
    )
    return [
        Hit(
            name="page_view",
            params={
                "label": f"{fill} {secret} {fill}",
                "search_term": secret,
                "email": secret,
                f"p_{secret}": "x",
                "value": int(d) if (d := "".join(c for c in secret if c.isdigit())) else 0,
            },
            page_url=url,
            referrer=f"https://mail.example.ru/{q}?u={q}#{q}",
            title=f"{fill}{secret} — {fill}",
            identity=identity,
        ),
        # The secret as the event name: refused, and its reason carries no trace.
        Hit(name=secret, params={}, page_url=url, identity=identity),
        Hit(name=f"e_{secret}", params={}, page_url=url, identity=identity),
    ]


def outputs(outcome: Outcome) -> list[str]:
    texts: list[str] = [json.dumps(outcome.as_response(), ensure_ascii=False)]
    for row in outcome.outbox_rows:
        event = json.loads(row["event_json"])
        params = {k: v for k, v in event["params"].items() if k not in OURS}
        texts.append(json.dumps({**event, "params": params}, ensure_ascii=False))
        texts.extend(str(v) for k, v in row.items() if k not in OURS and k != "event_json" and v)
    for key in outcome.aggregates:
        texts.extend(str(part) for part in key[1:])
    for result, reason in outcome.stats:
        texts.extend((result, reason))
    return texts + [unquote(t) for t in texts]


def assert_nothing_survives(secret: str, texts: list[str]) -> None:
    for text in texts:
        for needle in pii.needles(secret):
            assert needle not in text, f"{needle!r} leaked into {text!r}"
        # Filler is letters only: a long digit run can only be the secret.
        assert not re.search(r"\d{7,}", text), f"digits leaked into {text!r}"
        assert "@" not in text, f"an address leaked into {text!r}"


def run(secret: str, fill: str, identity: Identity | None) -> Outcome:
    ctx = Context(
        site=SITE,
        device=DEVICE,
        location=None,
        now=datetime(2026, 11, 25, 12, 0),
        key=b"k" * 32,
        window_seconds=3600,
    )
    return process(hits_carrying(secret, fill, identity), ctx)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=pii.secrets, fill=pii.filler)
def test_no_secret_survives_event_mode(secret: str, fill: str) -> None:
    outcome = run(secret, fill, Identity("consent", "consent-id"))
    assert outcome.outbox_rows, "the page_view itself is kept"
    assert_nothing_survives(secret, outputs(outcome))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=pii.secrets, fill=pii.filler)
def test_no_secret_survives_aggregate_mode(secret: str, fill: str) -> None:
    outcome = run(secret, fill, None)
    assert outcome.aggregates, "the page_view itself is counted"
    assert not outcome.outbox_rows
    assert_nothing_survives(secret, outputs(outcome))


@given(st.data())
def test_strategies_produce_what_they_claim(data: st.DataObject) -> None:
    card = data.draw(pii.card_numbers())
    digits: Any = "".join(c for c in card if c.isdigit())
    assert len(digits) == 16
    assert pii.luhn_valid(digits)
