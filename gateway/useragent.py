"""User-Agent strings reduced to coarse facts, once, through a bounded cache.

The full string never leaves this module: callers get a ``DeviceFacts`` with a
browser family and major version, an OS family, a device category and, for
automated clients, the reason they are not counted as people.

Parsing uses ua-parser 1.0's fast resolver (ua-parser-rs when installed) and
hands its result to ``user-agents`` for the device category, bypassing that
library's own slow regex path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ua_parser
from user_agents.parsers import (  # type: ignore[import-untyped]
    UserAgent,
    parse_browser,
    parse_device,
    parse_operating_system,
)

CACHE_SIZE = 4096
MAX_UA_LENGTH = 512

# Headless browsers and automation drivers announce themselves in the UA.
_HEADLESS = re.compile(
    r"HeadlessChrome|PhantomJS|Electron/|SlimerJS|Puppeteer|Playwright|Selenium|"
    r"webdriver|Lighthouse|Chrome-Lighthouse|PTST/|GTmetrix|Google Page Speed",
    re.IGNORECASE,
)

# HTTP libraries of apps that ua-parser names after their platform (Dalvik as
# "Android"): no browser, whatever family they are given.
_APP_RUNTIMES = re.compile(r"(?:Dalvik|CFNetwork|Java|okhttp|Darwin)/", re.IGNORECASE)

# Families ua-parser reports for things that are not browsers people use.
_NON_BROWSER_FAMILIES = frozenset({"Other", "Spider", "Python Requests", "curl", "Wget"})


@dataclass(frozen=True)
class DeviceFacts:
    browser_family: str
    browser_major: str
    os_family: str
    device_category: str  # desktop | mobile | tablet | other
    bot_reason: str | None = None

    @property
    def is_bot(self) -> bool:
        return self.bot_reason is not None


UNKNOWN = DeviceFacts("Other", "", "Other", "other", "unrecognized_user_agent")


class _CrawlerMatcher:
    """The crawler-user-agents list, matched in one pass.

    With ua-parser-rs installed the ~1,500 patterns run as one Rust regex set
    (hundreds of thousands of strings per second); Python's ``re`` over the
    same alternation manages a few thousand, which would make every new
    User-Agent cost more than the rest of the request.
    """

    def __init__(self, patterns: list[str]) -> None:
        self._rs: Any = None
        self._re: re.Pattern[str] | None = None
        try:
            import ua_parser_rs  # type: ignore[import-untyped]

            self._rs = ua_parser_rs.UserAgentExtractor(
                [(p, "crawler", None, None, None, None) for p in patterns]
            )
        except (ImportError, ValueError):
            self._re = re.compile("|".join(patterns))

    def search(self, ua_string: str) -> bool:
        if self._rs is not None:
            return self._rs.extract(ua_string) is not None
        assert self._re is not None
        return self._re.search(ua_string) is not None


@lru_cache(maxsize=1)
def crawler_pattern() -> _CrawlerMatcher:
    """The crawler-user-agents list as one matcher, built on first use."""
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA  # type: ignore[import-untyped]

    return _CrawlerMatcher([item["pattern"] for item in CRAWLER_USER_AGENTS_DATA])


def _legacy_shape(result: ua_parser.Result) -> UserAgent:
    ua = UserAgent.__new__(UserAgent)
    ua.ua_string = result.string
    browser = result.user_agent
    os_ = result.os
    device = result.device
    ua.browser = parse_browser(
        family=browser.family if browser else "Other",
        major=browser.major if browser else None,
        minor=browser.minor if browser else None,
        patch=browser.patch if browser else None,
    )
    ua.os = parse_operating_system(
        family=os_.family if os_ else "Other",
        major=os_.major if os_ else None,
        minor=os_.minor if os_ else None,
        patch=os_.patch if os_ else None,
        patch_minor=os_.patch_minor if os_ else None,
    )
    ua.device = parse_device(
        family=device.family if device else "Other",
        brand=device.brand if device else None,
        model=device.model if device else None,
    )
    return ua


def _category(ua: UserAgent) -> str:
    if ua.is_tablet:
        return "tablet"
    if ua.is_mobile:
        return "mobile"
    if ua.is_pc:
        return "desktop"
    return "other"


def _browser_string(ua_string: str, facts: DeviceFacts) -> bool:
    """A browser's string: ``Mozilla/…``, or one ua-parser names a browser and an OS of.

    Opera Presto and Opera Mini (``Opera/9.80 (…) Presto/…``) and a few
    others never start with ``Mozilla/`` and are people all the same.
    """
    if ua_string.startswith("Mozilla/"):
        return True
    return facts.os_family != "Other" and not _APP_RUNTIMES.match(ua_string)


def _classify(ua_string: str) -> DeviceFacts:
    if not ua_string.strip() or len(ua_string) > MAX_UA_LENGTH:
        return UNKNOWN
    result = ua_parser.parse(ua_string)
    ua = _legacy_shape(result)
    family = ua.browser.family or "Other"
    facts = DeviceFacts(
        browser_family=family,
        browser_major=str(ua.browser.version[0]) if ua.browser.version else "",
        os_family=ua.os.family or "Other",
        device_category=_category(ua),
    )
    reason: str | None = None
    if _HEADLESS.search(ua_string):
        reason = "headless_browser"
    elif ua.device.family == "Spider" or family == "Spider":
        reason = "bot_user_agent"
    elif crawler_pattern().search(ua_string):
        reason = "crawler_pattern"
    elif family in _NON_BROWSER_FAMILIES or not _browser_string(ua_string, facts):
        reason = "unrecognized_user_agent"
    if reason:
        return DeviceFacts(
            facts.browser_family, facts.browser_major, facts.os_family, "other", reason
        )
    return facts


@lru_cache(maxsize=CACHE_SIZE)
def describe(ua_string: str) -> DeviceFacts:
    """Coarse facts about a User-Agent string; results are cached (bounded)."""
    return _classify(ua_string)
