"""Anonymizer cost per event (target <= 50 µs), against a baseline of json.loads.

Each event is a realistic page view: an URL with query and path to clean, a
referrer, a title and three parameters, run through the same pure pipeline
the intake uses (``gateway.analytics.intake.pipeline.process``) in both modes; event
mode twice: a returning visitor (their consent id's client and session ids
remembered from an earlier beacon) and a new visitor on every request. The
baseline is parsing the same event's JSON body, measured in the same run.
Times are the process's CPU time, so other load on the machine does not count.
Run: .venv/bin/python benchmarks/anonymizer_speed.py
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.analytics.intake.pipeline import Context, Hit, Identity, process
from gateway.sites import Site
from gateway.useragent import DeviceFacts

SITE = Site(
    id="hottelecom",
    name="HotTelecom",
    origins=("https://hottelecom.example",),
    languages=("ru", "en"),
    query_allowlist=("utm_source", "utm_medium", "utm_campaign"),
)
CTX = Context(
    site=SITE,
    device=DeviceFacts("Chrome", "131", "Windows", "desktop"),
    location=None,
    now=datetime(2026, 11, 25, 12, 0),
    key=b"k" * 32,
    window_seconds=3600,
)
PAGES = [
    (
        "https://hottelecom.example/tariffs/internet-500?utm_source=yandex&gclid=Cj0KCQiA",
        "https://yandex.ru/search/?text=hottelecom",
        "Домашний интернет 500 Мбит/с — HotTelecom",
        {"tariff": "home-500", "value": 650, "currency": "RUB"},
    ),
    (
        "https://hottelecom.example/cabinet/orders/12345678?session=abc#pay",
        "https://hottelecom.example/cabinet",
        "Заказ 12345678 — Личный кабинет ivan@mail.ru",
        {"label": "перезвоните +7 916 123-45-67", "email": "ivan@mail.ru", "step": 2},
    ),
    (
        "https://hottelecom.example/support/550e8400-e29b-41d4-a716-446655440000",
        "https://mail.google.com/mail/u/0/",
        "Support ticket",
        {"search_term": "роутер не работает", "results": 12, "page": 1},
    ),
]


def hits(identity: Identity | None) -> list[Hit]:
    return [
        Hit("page_view", params, url, referrer, title, identity=identity)
        for url, referrer, title, params in PAGES
    ]


def per_event_us(fn: object, events_per_call: int, seconds: float = 1.5) -> float:
    call = fn  # type: ignore[assignment]
    for _ in range(200):
        call()
    count = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(200):
            call()
        count += 200
    return (time.process_time() - start) / (count * events_per_call) * 1e6


def main() -> None:
    bodies = [
        json.dumps({"page": {"url": u, "referrer": r, "title": t}, "events": [{"params": p}]})
        for u, r, t, p in PAGES
    ]
    event_hits = hits(Identity("consent", "bench-consent"))
    aggregate_hits = hits(None)
    baseline = per_event_us(lambda: [json.loads(b) for b in bodies], len(bodies))
    visitors = itertools.count()
    event = per_event_us(lambda: process(event_hits, CTX), len(event_hits))
    new_visitor = per_event_us(
        lambda: process(hits(Identity("consent", f"visitor-{next(visitors)}")), CTX),
        len(PAGES),
    )
    aggregate = per_event_us(lambda: process(aggregate_hits, CTX), len(aggregate_hits))
    print(f"baseline json.loads of the event body: {baseline:6.1f} µs/event")
    for name, value in (
        ("event mode, returning visitor", event),
        ("event mode, new visitor", new_visitor),
        ("aggregate mode", aggregate),
    ):
        verdict = "ok" if value <= 50 else "OVER TARGET"
        print(
            f"anonymizer, {name + ':':30s} {value:6.1f} µs/event "
            f"({value / baseline:.1f}x json.loads; target <= 50 µs: {verdict})"
        )


if __name__ == "__main__":
    main()
