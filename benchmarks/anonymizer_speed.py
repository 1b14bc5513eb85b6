"""Anonymizer cost per event (target <= 50 µs), against a baseline of json.loads.

The typical event is a consented visitor's page view: a landing URL with its
campaign parameters, a referrer from a search engine, a Cyrillic title and a
few parameters (a search term, a link URL, a link text, a value and its
currency), run through the same pure pipeline the intake uses
(``gateway.analytics.intake.pipeline.process``), in event mode (a returning
visitor, their consent id's client and session ids remembered from an earlier
beacon, and a new visitor on every request) and in aggregate mode. The mixed
pages are three more page views, one of them holding a phone number, an
e-mail address and an order number to redact (what a page should never send).
The baseline is parsing the same event's JSON body, measured in the same run:
every case is measured in short interleaved rounds and the fastest round
counts, so load from elsewhere on the machine slows all cases alike. Times are
the process's CPU time.

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
from collections.abc import Callable
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
TYPICAL = (
    "https://hottelecom.example/tariffs/internet-500"
    "?utm_source=yandex&utm_medium=cpc&utm_campaign=autumn_sale",
    "https://yandex.ru/search/?text=hottelecom+тарифы&lr=213",
    "Домашний интернет 500 Мбит/с — HotTelecom",
    {
        "search_term": "роутер не работает",
        "link_url": "https://hottelecom.example/support/router?from=menu",
        "link_text": "Помощь",
        "value": 650,
        "currency": "RUB",
    },
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


def hits(
    pages: list[tuple[str, str, str, dict[str, object]]], identity: Identity | None
) -> list[Hit]:
    return [
        Hit("page_view", params, url, referrer, title, identity=identity)
        for url, referrer, title, params in pages
    ]


def body_of(page: tuple[str, str, str, dict[str, object]]) -> str:
    url, referrer, title, params = page
    return json.dumps(
        {"page": {"url": url, "referrer": referrer, "title": title}, "events": [{"params": params}]}
    )


def interleaved_us(
    cases: dict[str, tuple[Callable[[], object], int]], rounds: int = 40, calls: int = 50
) -> dict[str, float]:
    """µs per event of each case: the fastest of ``rounds`` interleaved rounds."""
    for fn, _events in cases.values():
        for _ in range(calls):
            fn()
    best = dict.fromkeys(cases, float("inf"))
    for _round in range(rounds):
        for name, (fn, events) in cases.items():
            start = time.process_time()
            for _ in range(calls):
                fn()
            elapsed = (time.process_time() - start) / (calls * events) * 1e6
            best[name] = min(best[name], elapsed)
    return best


def main() -> None:
    typical_body = body_of(TYPICAL)
    bodies = [body_of(page) for page in PAGES]
    typical_event = hits([TYPICAL], Identity("consent", "bench-consent"))
    typical_aggregate = hits([TYPICAL], None)
    mixed_event = hits(PAGES, Identity("consent", "bench-consent"))
    mixed_aggregate = hits(PAGES, None)
    visitors = itertools.count()
    cases: dict[str, tuple[Callable[[], object], int]] = {
        "baseline": (lambda: json.loads(typical_body), 1),
        "typical event mode, returning visitor": (lambda: process(typical_event, CTX), 1),
        "typical event mode, new visitor": (
            lambda: process(hits([TYPICAL], Identity("consent", f"v-{next(visitors)}")), CTX),
            1,
        ),
        "typical aggregate mode": (lambda: process(typical_aggregate, CTX), 1),
        "mixed baseline": (lambda: [json.loads(b) for b in bodies], len(bodies)),
        "mixed pages, event mode": (lambda: process(mixed_event, CTX), len(PAGES)),
        "mixed pages, aggregate mode": (lambda: process(mixed_aggregate, CTX), len(PAGES)),
    }
    best = interleaved_us(cases)
    baseline = best.pop("baseline")
    mixed_baseline = best.pop("mixed baseline")
    print(f"baseline json.loads of the typical event's body: {baseline:6.1f} µs/event")
    print(f"baseline json.loads of the mixed pages' bodies:  {mixed_baseline:6.1f} µs/event")
    for name, value in best.items():
        base = mixed_baseline if name.startswith("mixed") else baseline
        verdict = "ok" if value <= 50 else "OVER TARGET"
        print(
            f"anonymizer, {name + ':':38s} {value:6.1f} µs/event "
            f"({value / base:.1f}x json.loads; target <= 50 µs: {verdict})"
        )


# The last two: runs of capitalised Cyrillic words, each asked of the name dictionary.
SHAPES = ["eyJa", "1-", "00000000-", "a%40", "@.", "1", "1.", "9" * 7 + ".", "a" * 63 + "@"]
SHAPES += ["Ольга Ким ", "А. Ким ", "ольга смирнова ", "Ivan Petrov ", "ivanpetrov85 "]
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
