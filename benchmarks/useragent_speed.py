"""Distinct User-Agent parses per second (target >= 10,000/s cold), vs plain user_agents.parse.

Every string is new to the cache (cold): real UA templates with varying
version numbers. ``gateway.useragent.describe`` runs ua-parser 1.0's resolver
(ua-parser-rs), the crawler list as one Rust regex set, headless markers and
the device category; the baseline is ``user_agents.parse`` on the same
strings, measured in the same run (process CPU time).
Run: .venv/bin/python benchmarks/useragent_speed.py
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway import useragent

TEMPLATES = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{a}.0.{b}.{c} Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{c} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.{a} Mobile/15E{b} Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S9{c}B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{a}.0.{b}.107 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{a}.0) Gecko/20100101 Firefox/{a}.{b}",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{a}.0.0.0 YaBrowser/24.{c}.{b}.0 Safari/537.36",
    "Mozilla/5.0 (compatible; YandexBot/3.{c}; +http://yandex.com/bots) build/{b}",
    "python-requests/2.{a}.{b}",
]


def distinct(count: int, salt: int) -> list[str]:
    return [
        TEMPLATES[i % len(TEMPLATES)].format(a=100 + i % 40, b=salt * 100_000 + i, c=i % 10)
        for i in range(count)
    ]


def rate(fn: object, strings: list[str]) -> float:
    call = fn  # type: ignore[assignment]
    start = time.process_time()
    for ua in strings:
        call(ua)
    return len(strings) / (time.process_time() - start)


def main() -> None:
    import user_agents  # type: ignore[import-untyped]

    count = 20_000
    # Build what both sides build once (regex tables, crawler set) before timing.
    useragent.describe("Mozilla/5.0 warm-up")
    user_agents.parse("Mozilla/5.0 warm-up")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        baseline = rate(user_agents.parse, distinct(count // 4, 1))
    useragent.describe.cache_clear()
    ours = rate(useragent.describe, distinct(count, 2))
    verdict = "ok" if ours >= 10_000 else "BELOW TARGET"
    print(f"user_agents.parse, distinct strings:      {baseline:9,.0f} /s")
    print(
        f"gateway.useragent.describe, cold cache:   {ours:9,.0f} /s  "
        f"({ours / baseline:.1f}x; target >= 10,000/s: {verdict})"
    )
    cached = distinct(count, 2)[-(useragent.CACHE_SIZE // 2) :]
    warm = rate(useragent.describe, cached)
    print(f"gateway.useragent.describe, cache hits:   {warm:9,.0f} /s")


if __name__ == "__main__":
    main()
