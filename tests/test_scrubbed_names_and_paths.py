"""A path or event name the scrubber changed is never forwarded as it came.

Whole beacons go through the intake's pipeline, in aggregate mode (then the
window's fold and the GA event each kept bucket becomes) and in event mode
(the outbox row's event); neither may carry the path or name the page sent,
nor any piece of the identifier in it.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from gateway.analytics.intake import anonymizer as anon
from gateway.analytics.intake.aggregate import Bucket, bucket_event, fold_buckets
from gateway.analytics.intake.pipeline import Context, Hit, Identity, process
from gateway.sites import Site
from gateway.useragent import DeviceFacts

ORIGIN = "https://hottelecom.example"
SITE = Site("hottelecom", "HotTelecom", (ORIGIN,), ("ru",))
CTX = Context(
    site=SITE,
    device=DeviceFacts("Chrome", "131", "Windows", "desktop"),
    location=None,
    now=datetime(2026, 11, 25, 12, 0),
    key=b"k" * 32,
    window_seconds=3600,
)
K = 5

# (path the page sends, pieces of it that must never reach Google)
HOSTILE_PATHS = [
    ("/profile/ivan.petrov@mail.ru", ["ivan", "petrov", "mail.ru"]),
    ("/profile/ivan.petrov%40mail.ru/orders", ["ivan", "petrov", "mail.ru", "%40"]),
    ("/u/89161234567", ["89161234567", "9161234567"]),
    ("/cabinet/+7%20916%20123-45-67", ["916", "123-45-67"]),
    (
        "/people/%D0%A1%D0%BC%D0%B8%D1%80%D0%BD%D0%BE%D0%B2%D0%B0%20"
        "%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0%20%D0%98%D0%B3%D0%BE%D1%80%D0%B5%D0%B2%D0%BD%D0%B0",
        ["Смирнова", "Ольга", "%D0%A1%D0%BC"],
    ),
    ("/reset/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", ["eyJhbGciOiJIUzI1NiJ9"]),
    ("/ticket/550e8400-e29b-41d4-a716-446655440000", ["550e8400"]),
    # Logins made of a name: plain slugs to every other rule.
    ("/profile/ivanpetrov85", ["ivanpetrov", "petrov"]),
    ("/u/ivan_petrov", ["ivan_petrov", "petrov"]),
    ("/blog/olga-1990/posts", ["olga", "1990"]),
]
HOSTILE_EVENT_NAMES = [
    "ivan_petrov_mail_ru",
    "call_89161234567",
    "user_ivanpetrov85_login",
    "ivan_petrov",
    "olga1990_click",
]


def _forwarded_aggregate(path: str, name: str = "page_view") -> list[dict[str, object]]:
    """What Google would get from K visitors' beacons to ``path`` in aggregate mode."""
    counts: dict[tuple[str, str], int] = {}
    for _visitor in range(K):
        outcome = process([Hit(name, {}, ORIGIN + path)], CTX)
        for bucket in outcome.aggregates:
            key = (bucket.event_name, bucket.page_path)
            counts[key] = counts.get(key, 0) + 1
    buckets = [Bucket(n, p, "RU", "desktop", c) for (n, p), c in counts.items()]
    kept = fold_buckets(buckets, K).kept
    return [bucket_event(b, CTX.now, ORIGIN) for b in kept]


def _forwarded_events(path: str, name: str = "page_view") -> list[dict[str, object]]:
    outcome = process(
        [Hit(name, {}, ORIGIN + path, identity=Identity("consent", "abcd-efgh-ijkl-mnop"))], CTX
    )
    return [json.loads(row["event_json"]) for row in outcome.outbox_rows]


@pytest.mark.parametrize(("path", "pieces"), HOSTILE_PATHS)
def test_a_scrubbed_path_is_forwarded_only_redacted_in_aggregate_mode(
    path: str, pieces: list[str]
) -> None:
    assert anon.anonymize_path(path) != path  # the scrubber changes it
    events = _forwarded_aggregate(path)
    # K visitors share the redacted path: the bucket reaches k and is forwarded, redacted.
    assert [e["params"]["page_path"] for e in events] == [anon.anonymize_path(path)]  # type: ignore[index]
    sent = json.dumps(events, ensure_ascii=False)
    assert anon.REDACTED_SEGMENT in sent
    assert path not in sent
    for piece in pieces:
        assert piece not in sent


@pytest.mark.parametrize(("path", "pieces"), HOSTILE_PATHS)
def test_a_scrubbed_path_is_forwarded_only_redacted_in_event_mode(
    path: str, pieces: list[str]
) -> None:
    events = _forwarded_events(path)
    assert events, "the page view itself is kept"
    sent = json.dumps(events, ensure_ascii=False)
    assert anon.REDACTED_SEGMENT in sent
    assert path not in sent
    for piece in pieces:
        assert piece not in sent


@pytest.mark.parametrize("name", HOSTILE_EVENT_NAMES)
def test_an_event_name_that_names_someone_is_never_forwarded(name: str) -> None:
    assert anon.clean_event_name(name) is None
    assert _forwarded_aggregate("/tariffs", name) == []
    assert _forwarded_events("/tariffs", name) == []
    outcome = process([Hit(name, {}, ORIGIN + "/tariffs")], CTX)
    assert outcome.reasons == {"invalid_event_name": 1}


def test_an_unchanged_path_and_name_are_forwarded_as_they_are() -> None:
    # The control: the rules above fail for a reason, not because nothing is sent.
    events = _forwarded_aggregate("/tariffs/internet-500", "select_tariff")
    assert [(e["name"], e["params"]["page_path"]) for e in events] == [  # type: ignore[index]
        ("select_tariff", "/tariffs/internet-500")
    ]
    assert [e["name"] for e in _forwarded_events("/tariffs/internet-500", "select_tariff")] == [
        "select_tariff"
    ]
