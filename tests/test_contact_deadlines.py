"""Deadline arithmetic on the Russian production calendar (pure functions)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contact import deadlines
from gateway.contact.deadlines import (
    add_working_days,
    due_date,
    extended_due_date,
    refund_window_end,
    russian_working_day,
    within_refund_window,
)

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 10, 31))


def working_days_between(start: date, end: date, is_working_day=russian_working_day) -> int:
    """Working days in (start, end]."""
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n))
    )


# Dates checked against the official calendars (government transfer decrees).
@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 1), False),  # New Year holidays 1–8 January
        (date(2025, 1, 8), False),
        (date(2025, 1, 9), True),
        (date(2026, 1, 9), False),  # 2026: day off moved from Saturday 3 January
        (date(2026, 1, 12), True),
        (date(2025, 5, 2), False),  # moved from Saturday 4 January
        (date(2025, 5, 8), False),  # moved from Sunday 23 February
        (date(2025, 5, 12), True),
        (date(2025, 11, 1), True),  # Saturday made a working day
        (date(2025, 11, 3), False),  # ... in exchange for Monday 3 November
        (date(2025, 12, 31), False),  # moved from Sunday 5 January
        (date(2026, 5, 11), False),  # Victory Day on a Saturday, observed Monday
        (date(2025, 11, 8), False),  # an ordinary Saturday
    ],
)
def test_russian_production_calendar(day: date, working: bool) -> None:
    assert russian_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Friday before New Year: 29, 30 Dec, then nothing until Monday 12 January 2026.
        (date(2025, 12, 26), date(2026, 1, 21)),
        # Across the May holidays of 2025 (1–4 and 8–11 May off).
        (date(2025, 4, 30), date(2025, 5, 20)),
        # The working Saturday 1 November 2025 counts; 3 and 4 November do not.
        (date(2025, 10, 31), date(2025, 11, 17)),
        # A request received on a day off: counting starts the next day all the same.
        (date(2026, 1, 3), date(2026, 1, 23)),
    ],
)
def test_152fz_ten_working_days(received: date, due: date) -> None:
    assert due_date(received, "152fz") == due


def test_30_days_ends_on_the_next_working_day() -> None:
    # 10 Dec 2025 + 30 days = Friday 9 Jan 2026, a day off: the term ends Monday 12 Jan.
    assert due_date(date(2025, 12, 10), "30d") == date(2026, 1, 12)
    # An ordinary case: 1 Oct 2025 + 30 = Friday 31 Oct 2025.
    assert due_date(date(2025, 10, 1), "30d") == date(2025, 10, 31)


def test_extension_adds_five_working_days() -> None:
    assert extended_due_date(date(2026, 1, 21)) == date(2026, 1, 28)
    # Across the May holidays of 2026 (9 May Saturday, 11 May observed).
    assert extended_due_date(date(2026, 5, 6)) == date(2026, 5, 14)


def test_only_152fz_extends_and_only_once() -> None:
    assert deadlines.can_extend("152fz", already_extended=False)
    assert not deadlines.can_extend("152fz", already_extended=True)
    assert not deadlines.can_extend("30d", already_extended=False)


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown deadline rule"):
        due_date(date(2026, 1, 1), "45d")


@pytest.mark.parametrize(
    ("service", "asked", "within"),
    [
        (date(2025, 12, 30), date(2026, 1, 13), True),  # 12 and 13 Jan are the 2 working days
        (date(2025, 12, 30), date(2026, 1, 14), False),
        (date(2025, 10, 31), date(2025, 11, 5), True),  # Sat 1 Nov worked, then Wed 5 Nov
        (date(2025, 10, 31), date(2025, 11, 6), False),  # would be in if Saturday did not count
        (date(2025, 4, 30), date(2025, 5, 6), True),  # 5 and 6 May
        (date(2025, 4, 30), date(2025, 5, 7), False),
        (date(2024, 12, 28), date(2025, 1, 10), True),  # working Saturday; 30, 31 Dec off
        (date(2024, 12, 28), date(2025, 1, 11), False),  # the weekend after the window
        (date(2026, 3, 2), date(2026, 3, 2), True),  # same day
        (date(2026, 3, 2), date(2026, 3, 1), False),  # asked before the service
    ],
)
def test_refund_window(service: date, asked: date, within: bool) -> None:
    assert within_refund_window(service, asked) is within


def test_moscow_date_is_utc_plus_three() -> None:
    assert deadlines.moscow_date(datetime(2025, 12, 31, 20, 59)) == date(2025, 12, 31)
    assert deadlines.moscow_date(datetime(2025, 12, 31, 21, 0)) == date(2026, 1, 1)


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_152fz_due_is_exactly_ten_working_days_later(received: date) -> None:
    due = due_date(received, "152fz")
    assert russian_working_day(due)
    assert working_days_between(received, due) == 10
    assert due - received <= timedelta(days=30)


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_30d_due_is_the_first_working_day_from_day_thirty(received: date) -> None:
    due = due_date(received, "30d")
    thirtieth = received + timedelta(days=30)
    assert due >= thirtieth
    assert russian_working_day(due)
    assert working_days_between(thirtieth - timedelta(days=1), due) == 1


@settings(max_examples=200, deadline=None)
@given(DAYS)
def test_extension_is_five_working_days_after_the_due_date(received: date) -> None:
    due = due_date(received, "152fz")
    extended = extended_due_date(due)
    assert working_days_between(due, extended) == 5
    assert russian_working_day(extended)


@settings(max_examples=300, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=20))
def test_refund_window_means_at_most_two_working_days(service: date, after: int) -> None:
    asked = service + timedelta(days=after)
    counted = working_days_between(service, asked)
    # The window closes at the end of the second working day: a weekend after it is late.
    expected = counted < 2 or (counted == 2 and russian_working_day(asked))
    assert within_refund_window(service, asked) == expected


@settings(max_examples=200, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=15))
def test_refund_window_is_monotonic(service: date, after: int) -> None:
    """Once a request is late, every later day is late too."""
    end = refund_window_end(service)
    asked = service + timedelta(days=after)
    assert within_refund_window(service, asked) == (asked <= end)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2030, 1, 1), max_value=date(2030, 12, 1)),
    st.sets(st.dates(min_value=date(2030, 1, 1), max_value=date(2031, 3, 1)), max_size=40),
    st.integers(min_value=0, max_value=20),
)
def test_add_working_days_on_any_calendar(start: date, days_off: set[date], count: int) -> None:
    """The arithmetic holds for any calendar, not only Russia's."""

    def is_working(day: date) -> bool:
        return day.weekday() < 5 and day not in days_off

    end = add_working_days(start, count, is_working)
    assert working_days_between(start, end, is_working) == count
    if count:
        assert is_working(end)
    else:
        assert end == start


def test_the_due_date_is_explained_as_it_was_reached() -> None:
    from gateway.contact.texts import explain_due_text

    # Day 30 after 6 March 2026 is Sunday 5 April: moved to Monday 6 April.
    weekend = deadlines.explain_due(date(2026, 3, 6), "30d")
    assert (weekend.nominal, weekend.due, weekend.moved) == (
        date(2026, 4, 5),
        date(2026, 4, 6),
        True,
    )
    assert explain_due_text(weekend, "en")[1] == (
        "The 30th day, 5 April 2026, is a day off: a weekend day. Under Civil Code art. 193 "
        "the term moves to the next working day, 6 April 2026."
    )
    assert "5 апреля 2026, — нерабочий: выходной день" in explain_due_text(weekend, "ru")[1]
    # A working day 30: nothing moved, nothing to explain beyond the rule.
    plain = deadlines.explain_due(date(2026, 3, 9), "30d")
    assert not plain.moved
    assert len(explain_due_text(plain, "ru")) == 1
    # 152-FZ counts working days: the days off skipped are named.
    counted = deadlines.explain_due(date(2026, 4, 30), "152fz")
    assert counted.due == deadlines.due_date(date(2026, 4, 30), "152fz")
    assert date(2026, 5, 1) in counted.days_off
    text = explain_due_text(counted, "en")[1]
    assert text.startswith("Days off are not counted (")
    assert text == (
        "Days off are not counted (8: Holiday of Spring and Labor; Victory Day; "
        "Victory Day (observed))."
    )
