"""Anonymizer cost per event (target <= 50 µs), against a baseline of json.loads.

Each event is a realistic page view: an URL with query and path to clean, a
referrer, a title and three parameters, run through the same pure pipeline
the intake uses (``gateway.analytics.intake.pipeline.process``) in both modes; event
mode twice: a returning visitor (their consent id's client and session ids
remembered from an earlier beacon) and a new visitor on every request. The
baseline is parsing the same event's JSON body, measured in the same run.
Times are the process's CPU time, so other load on the machine does not count.

Then the adversarial table: whole beacons (JSON parsing, shape checks and the
pipeline) whose page URL, title, referrer or a parameter value is one hostile
shape repeated (``eyJa``, ``1-``, ``00000000-``, ``a%40``, ``@.``, digit and
dot runs) up to 64 KiB. Each cell is the worst placement's time per beacon;
it must grow at most linearly with the size, and no beacon may cost more than
100x a normal one.
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

from gateway.analytics.intake.pipeline import (
    Context,
    Hit,
    Identity,
    decode_json,
    parse_collect_payload,
    process,
)
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


SHAPES = ["eyJa", "1-", "00000000-", "a%40", "@.", "1", "1.", "9" * 7 + ".", "a" * 63 + "@"]
SIZES = [1024, 4096, 16384, 63 * 1024]  # the body, envelope included, stays under 64 KiB


def beacon(placement: str, text: str) -> bytes:
    page = {"url": "https://hottelecom.example/tariffs", "title": "Тарифы", "referrer": None}
    params: dict[str, object] = {"tariff": "home-500"}
    if placement == "url":
        page["url"] = "https://hottelecom.example/" + text
    elif placement == "query":
        page["url"] = "https://hottelecom.example/?utm_source=" + text
    elif placement == "title":
        page["title"] = text
    elif placement == "referrer":
        page["referrer"] = "https://" + text
    else:
        params["label"] = text
    body = {"site": "hottelecom", "page": page, "events": [{"name": "page_view", "params": params}]}
    return json.dumps(body).encode()


def beacon_seconds(body: bytes, identity: Identity | None, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        payload = parse_collect_payload(decode_json(body))
        process(
            [
                Hit(h.name, h.params, h.page_url, h.referrer, h.title, identity=identity)
                for h in payload.hits
            ],
            CTX,
        )
        best = min(best, time.process_time() - start)
    return best


def adversarial() -> None:
    identity = Identity("consent", "bench-consent")  # event mode reads the most
    normal_body = beacon("label", "перезвоните мне завтра")
    for _ in range(50):
        beacon_seconds(normal_body, identity, 1)
    normal = min(beacon_seconds(normal_body, identity, 1) for _ in range(200))
    placements = ("url", "query", "title", "referrer", "label")
    print()
    print(f"normal beacon: {normal * 1e6:.0f} µs")
    print("worst time per beacon (ms) by input size:")
    print(
        f"{'shape':>14s} " + " ".join(f"{size // 1024:>6d}K" for size in SIZES) + "  worst/normal"
    )
    worst_ratio = 0.0
    linear = True
    for shape in SHAPES:
        cells = []
        for size in SIZES:
            text = (shape * (size // len(shape) + 1))[:size]
            cells.append(max(beacon_seconds(beacon(p, text), identity) for p in placements))
        ratio = max(cells) / normal
        worst_ratio = max(worst_ratio, ratio)
        # Linear (or better): 62x the input may cost at most ~62x, with slack for noise.
        linear = linear and cells[-1] <= cells[0] * (SIZES[-1] / SIZES[0]) * 1.5 + 0.002
        print(
            f"{shape[:12]!r:>14s} "
            + " ".join(f"{c * 1e3:7.2f}" for c in cells)
            + f"  {ratio:8.1f}x"
        )
    print(
        f"worst beacon: {worst_ratio:.1f}x a normal one (target <= 100x: "
        f"{'ok' if worst_ratio <= 100 else 'OVER TARGET'}); growth "
        f"{'linear or flat' if linear else 'FASTER THAN LINEAR'}"
    )


if __name__ == "__main__":
    main()
    adversarial()
