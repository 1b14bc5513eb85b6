"""Bot and browser classification on a corpus of real User-Agent strings."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gateway import useragent
from gateway.useragent import describe

CORPUS = Path(__file__).parent / "data" / "user_agents.tsv"


def corpus() -> list[tuple[str, str, str]]:
    entries = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expected, detail, ua = line.split("\t")
        entries.append((expected, detail, "" if ua == "-" else ua))
    return entries


@pytest.mark.parametrize(("expected", "detail", "ua"), corpus())
def test_corpus_classification(expected: str, detail: str, ua: str) -> None:
    facts = describe(ua)
    if expected == "bot":
        assert facts.is_bot, f"counted as a person: {ua}"
        assert facts.device_category == "other"
        if detail != "*":
            assert facts.bot_reason == detail
    else:
        assert not facts.is_bot, f"dropped as {facts.bot_reason}: {ua}"
        assert facts.device_category == expected
        assert facts.browser_family == detail
        assert facts.browser_major.isdigit()


def test_corpus_covers_people_and_bots() -> None:
    kinds = [expected for expected, _, _ in corpus()]
    assert kinds.count("bot") >= 30
    assert {"desktop", "mobile", "tablet"} <= set(kinds)


def test_facts_hold_no_part_of_the_string() -> None:
    ua = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/127.0.6533.99 Safari/537.36 ZzMarker/1.0"
    )
    facts = describe(ua)
    assert facts.browser_major == "127"
    assert "6533" not in repr(facts)
    assert "ZzMarker" not in repr(facts)


def test_overlong_strings_are_not_parsed() -> None:
    assert describe("Mozilla/5.0 " + "x" * 2000).bot_reason == "unrecognized_user_agent"


def test_cache_is_bounded() -> None:
    describe.cache_clear()
    for i in range(useragent.CACHE_SIZE + 50):
        describe(f"Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.{i}.0 Safari/537.36")
    info = describe.cache_info()
    assert info.currsize == useragent.CACHE_SIZE
    assert info.maxsize == useragent.CACHE_SIZE


def test_crawler_matcher_without_the_rust_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ua_parser_rs", None)
    matcher = useragent._CrawlerMatcher(["Googlebot\\/", "[wW]get"])
    assert matcher.search("Mozilla/5.0 (compatible; Googlebot/2.1)")
    assert matcher.search("Wget/1.21")
    assert not matcher.search("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.0.0 Safari/537.36")
