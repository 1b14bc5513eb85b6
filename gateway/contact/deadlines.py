"""Deadline arithmetic for requests, on the Russian production calendar. Pure functions.

- ``30d``: policy §4, requests are satisfied within 30 calendar days of receipt.
- ``152fz``: Federal Law 152-FZ art. 20, 10 working days from receipt, which the
  operator may extend once by 5 working days, telling the requester why.
- Refunds (policy §6): an order can be cancelled within 2 working days from the
  date the service was provided.

Days are counted from the day after the event, as Russian law counts terms; a
term that would end on a day off ends on the next working day. Working days
come from ``holidays`` (RU): public holidays, the days off moved by the
government's yearly transfer decree, and weekend days made working by it
(``weekend_workdays``, e.g. Saturday 2025-11-01).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

RULE_30_DAYS = "30d"
RULE_152FZ = "152fz"
CALENDAR_DAYS = 30
WORKING_DAYS = 10
EXTENSION_WORKING_DAYS = 5
REFUND_WINDOW_WORKING_DAYS = 2
# Russia keeps Moscow time all year: UTC+3, no daylight saving.
MOSCOW_OFFSET = timedelta(hours=3)

IsWorkingDay = Callable[[date], bool]


@lru_cache(maxsize=64)
def _russian_year(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


def russian_working_day(day: date) -> bool:
    """True on a working day of the Russian production calendar."""
    return bool(_russian_year(day.year).is_working_day(day))


@lru_cache(maxsize=64)
def _named_year(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year, language=language)


def day_off_name(day: date, lang: str) -> str:
    """The public holiday on ``day`` in the reader's language, or "" (a plain weekend)."""
    names = _named_year(day.year, "ru" if lang == "ru" else "en_US")
    return str(names.get(day) or "")


def moscow_date(moment: datetime) -> date:
    """The calendar date in Moscow of a naive UTC time (terms run on Moscow dates)."""
    return (moment + MOSCOW_OFFSET).date()


def add_working_days(start: date, count: int, is_working_day: IsWorkingDay) -> date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    # Bounded: the Russian calendar never has more than ~12 days off in a row.
    for _step in range(count * 7 + 60):
        if remaining == 0:
            return day
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    raise ValueError("no working days found in a plausible range")


def next_working_day_on_or_after(day: date, is_working_day: IsWorkingDay) -> date:
    for _step in range(60):
        if is_working_day(day):
            return day
        day += timedelta(days=1)
    raise ValueError("no working day found in a plausible range")


def due_date(received: date, rule: str, is_working_day: IsWorkingDay = russian_working_day) -> date:
    """The date by which a request received on ``received`` must be answered."""
    if rule == RULE_30_DAYS:
        return next_working_day_on_or_after(
            received + timedelta(days=CALENDAR_DAYS), is_working_day
        )
    if rule == RULE_152FZ:
        return add_working_days(received, WORKING_DAYS, is_working_day)
    raise ValueError(f"unknown deadline rule {rule!r}")


def can_extend(rule: str, already_extended: bool) -> bool:
    """152-FZ allows one extension; the 30-day promise of §4 has none."""
    return rule == RULE_152FZ and not already_extended


def extended_due_date(due: date, is_working_day: IsWorkingDay = russian_working_day) -> date:
    """The due date after the one extension of 5 working days."""
    return add_working_days(due, EXTENSION_WORKING_DAYS, is_working_day)


def refund_window_end(
    service_date: date, is_working_day: IsWorkingDay = russian_working_day
) -> date:
    """Last day a refund may be asked for a service provided on ``service_date``."""
    return add_working_days(service_date, REFUND_WINDOW_WORKING_DAYS, is_working_day)


def within_refund_window(
    service_date: date, asked_on: date, is_working_day: IsWorkingDay = russian_working_day
) -> bool:
    """Policy §6: asked no later than 2 working days after the service date."""
    if asked_on < service_date:
        return False
    return asked_on <= refund_window_end(service_date, is_working_day)


def is_overdue(due: date | None, today: date, closed: bool) -> bool:
    return due is not None and not closed and today > due


@dataclass(frozen=True)
class DueExplanation:
    """How a due date was reached, to be told to staff and requesters as it is."""

    rule: str
    received: date
    # Where the term ends by plain counting, before a day off moves it (30d only).
    nominal: date
    due: date
    # Days off skipped (152fz) or that moved the end (30d), oldest first.
    days_off: tuple[date, ...]

    @property
    def moved(self) -> bool:
        return self.nominal != self.due


def explain_due(
    received: date, rule: str, is_working_day: IsWorkingDay = russian_working_day
) -> DueExplanation:
    """The due date of ``due_date`` with the reasons it falls where it does."""
    due = due_date(received, rule, is_working_day)
    if rule == RULE_30_DAYS:
        nominal = received + timedelta(days=CALENDAR_DAYS)
        start = nominal
    else:
        nominal = due
        start = received + timedelta(days=1)
    skipped = []
    day = start
    while day <= due:
        if not is_working_day(day):
            skipped.append(day)
        day += timedelta(days=1)
    return DueExplanation(rule, received, nominal, due, tuple(skipped))
