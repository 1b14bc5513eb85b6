"""What every staff page with a period reads from its query string: dates and site.

Shared by the dashboard and the faces' staff pages. A date or site a person
typed that cannot be used becomes a message on the page, in the staff member's
language, never an error.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from flask import request

from gateway.admin.dashboard import MAX_DAYS, DateRange, RangeError, parse_range
from gateway.i18n import plural, request_language
from gateway.sites import all_sites
from gateway.timeutil import today

PRESETS = (1, 7, 14, 30, 90)

TEXTS: Final = {
    "en": {
        "format": "{value!r} is not a date; dates are written YYYY-MM-DD",
        "order": "the range starts after it ends ({start} is after {end})",
        "length": "a range covers at most {max} {max_noun} ({start} to {end} is {days})",
        "bad_range": "The date range cannot be used: {problem}. Showing {start} to {end}.",
        "bad_site": "There is no site {site!r}; showing all sites.",
        "today": "Today",
        "days": "{days} days",
    },
    "ru": {
        "format": "«{value}» — не дата; даты пишутся в виде ГГГГ-ММ-ДД",
        "order": "начало периода позже его конца ({start} позже {end})",
        "length": (
            "период охватывает не больше {max} {max_noun}, а с {start} по {end} — {days} {noun}"
        ),
        "bad_range": "Период не подходит: {problem}. Показан период с {start} по {end}.",
        "bad_site": "Сайта «{site}» нет; показаны все сайты.",
        "today": "Сегодня",
        "days": "{days} {noun}",
    },
}
DAYS: Final = ("day", "days", "days")
DAYS_RU: Final = ("день", "дня", "дней")


def _days_noun(count: int, lang: str) -> str:
    return plural(count, DAYS_RU if lang == "ru" else DAYS, lang)


def range_problem(exc: RangeError, lang: str) -> str:
    """Why a typed range cannot be used, in ``lang`` (the English message when unknown)."""
    words = TEXTS.get(lang, TEXTS["en"])
    if exc.code not in words:
        return str(exc)
    days = int(str(exc.params.get("days", 0)))
    return words[exc.code].format(
        **exc.params,
        max=MAX_DAYS,
        max_noun=_days_noun(MAX_DAYS, lang),
        noun=_days_noun(days, lang),
    )


def page_scope() -> tuple[DateRange, str | None, list[str]]:
    """``?from=&to=&site=`` of the current request, and the problems found in them."""
    words = TEXTS.get(request_language(), TEXTS["en"])
    problems = []
    default = parse_range(None, None, today())
    try:
        period = parse_range(
            request.args.get("from", "").strip() or None,
            request.args.get("to", "").strip() or None,
            today(),
        )
    except RangeError as exc:
        problem = range_problem(exc, request_language())
        problems.append(
            words["bad_range"].format(problem=problem, start=default.start, end=default.end)
        )
        period = default
    site = request.args.get("site", "").strip() or None
    if site is not None and site not in all_sites():
        problems.append(words["bad_site"].format(site=site[:64]))
        site = None
    return period, site, problems


def presets() -> list[tuple[str, str, str]]:
    """(label, from, to) of the quick period links, labels in the staff member's language."""
    lang = request_language()
    words = TEXTS.get(lang, TEXTS["en"])
    end = today()
    return [
        (
            words["today"]
            if days == 1
            else words["days"].format(days=days, noun=_days_noun(days, lang)),
            (end - timedelta(days=days - 1)).isoformat(),
            end.isoformat(),
        )
        for days in PRESETS
    ]
