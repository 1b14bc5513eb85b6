"""Consent rates for staff: decisions per day by outcome, and acceptance per category.

Shared by the dashboard panel (and so ``gateway stats``) and ``/admin/consents``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.admin.charts import Series, lines, stacked_bars
from gateway.admin.dashboard import DateRange, Figure, Panel, percent
from gateway.consent.services import DailyDecisions, daily_decisions
from gateway.sites import all_sites, get_site

# Outcomes in the order they are stacked, listed and coloured.
OUTCOMES = (
    Series("accept_all", "Accept all"),
    Series("reject_all", "Reject all"),
    Series("custom", "Custom"),
    Series("gpc", "GPC"),
    Series("withdrawal", "Withdrawal"),
    Series("change", "Change"),
)
OUTCOMES_RU = (
    Series("accept_all", "Принять все"),
    Series("reject_all", "Отклонить все"),
    Series("custom", "Выборочно"),
    Series("gpc", "GPC"),
    Series("withdrawal", "Отзыв"),
    Series("change", "Изменение"),
)

# English first, Russian second: every word of the charts, tables and panel.
WORDS = {
    "chart_decisions": ("Consent decisions per day, by outcome", "Решения о согласии по дням"),
    "chart_rate": ("Acceptance rate per category, per day", "Доля согласий по категориям"),
    "day": ("day", "день"),
    "total": ("total", "всего"),
    "accepted": ("{category} accepted", "{category}: согласие"),
    "decisions": ("decisions", "решений"),
    "accept_all": ("accept all", "принять все"),
    "reject_all": ("reject all", "отклонить все"),
    "withdrawals": ("withdrawals", "отзывов"),
    "title": ("Consent decisions", "Решения о согласии"),
    "note": (
        "Acceptance: share of the day's decisions that granted the category "
        "(withdrawals count as refusals). Erased and expired consents are not counted.",
        "Доля согласий: часть решений дня, разрешивших категорию (отзыв считается отказом). "
        "Удалённые и истёкшие согласия не учитываются.",
    ),
}


def word(key: str, lang: str) -> str:
    english, russian = WORDS[key]
    return russian if lang == "ru" else english


def outcomes(lang: str) -> tuple[Series, ...]:
    return OUTCOMES_RU if lang == "ru" else OUTCOMES


@dataclass(frozen=True)
class DayRates:
    """All decisions of one day (of one site or all sites)."""

    day: str  # YYYY-MM-DD
    kinds: dict[str, int]
    granted: dict[str, int]
    offered: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def rate(self, category: str) -> float | None:
        """Percentage of the day's decisions on ``category`` that granted it."""
        offered = self.offered.get(category, 0)
        return 100 * self.granted.get(category, 0) / offered if offered else None


@dataclass(frozen=True)
class ConsentRates:
    days: Sequence[DayRates]  # every day of the range, empty days included
    categories: Sequence[str]  # optional categories (``necessary`` is always granted)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.days)

    def kind_total(self, kind: str) -> int:
        return sum(d.kinds.get(kind, 0) for d in self.days)

    def overall(self, category: str) -> tuple[int, int]:
        """(granted, offered) over the whole range."""
        return (
            sum(d.granted.get(category, 0) for d in self.days),
            sum(d.offered.get(category, 0) for d in self.days),
        )


def _categories(site: str | None, seen: Sequence[DailyDecisions]) -> list[str]:
    configured = [get_site(site)] if site else list(all_sites().values())
    names: list[str] = []
    for entry in configured:
        for name in entry.category_ids if entry else ():
            if name not in names:
                names.append(name)
    for day in seen:  # categories a site file no longer lists still have their history
        for name in day.offered:
            if name not in names:
                names.append(name)
    return [name for name in names if name != "necessary"]


def combine(
    decisions: Sequence[DailyDecisions], period: DateRange, site: str | None
) -> ConsentRates:
    """Per-site daily decisions summed into one row per day of ``period``."""
    by_day = {day.isoformat(): DayRates(day.isoformat(), {}, {}, {}) for day in period.days}
    for entry in decisions:
        if site is not None and entry.site != site:
            continue
        row = by_day.get(entry.day.isoformat())
        if row is None:
            continue
        for target, source in (
            (row.kinds, entry.kinds),
            (row.granted, entry.granted),
            (row.offered, entry.offered),
        ):
            for key, count in source.items():
                target[key] = target.get(key, 0) + count
    return ConsentRates(list(by_day.values()), _categories(site, decisions))


def consent_rates(session: Session, period: DateRange, site: str | None) -> ConsentRates:
    decisions = daily_decisions(session, period.start, period.end, site)
    return combine(decisions, period, site)


def decisions_chart(rates: ConsentRates, lang: str = "en") -> str:
    # No decision at all: the chart says so instead of drawing an empty grid.
    days = rates.days if rates.total else []
    rows = [(d.day, {k: float(v) for k, v in d.kinds.items()}) for d in days]
    return stacked_bars(word("chart_decisions", lang), rows, outcomes(lang))


def acceptance_chart(rates: ConsentRates, lang: str = "en") -> str:
    rows = []
    for d in rates.days if rates.total else []:
        values = {c: r for c in rates.categories if (r := d.rate(c)) is not None}
        rows.append((d.day, values))
    series = [Series(c, c) for c in rates.categories]
    return lines(word("chart_rate", lang), rows, series, max_value=100.0, unit="%")


def table(rates: ConsentRates, lang: str = "en") -> tuple[list[str], list[list[str]]]:
    """The numbers behind both charts: one row per day, then the totals."""
    headers = [word("day", lang), *(s.label for s in outcomes(lang)), word("total", lang)]
    headers += [word("accepted", lang).format(category=c) for c in rates.categories]
    rows = []
    for d in rates.days if rates.total else []:
        rows.append(
            [
                d.day,
                *(str(d.kinds.get(s.key, 0)) for s in OUTCOMES),
                str(d.total),
                *(percent(d.granted.get(c, 0), d.offered.get(c, 0)) for c in rates.categories),
            ]
        )
    rows.append(
        [
            word("total", lang),
            *(str(rates.kind_total(s.key)) for s in OUTCOMES),
            str(rates.total),
            *(percent(*rates.overall(c)) for c in rates.categories),
        ]
    )
    return headers, rows


def figures(rates: ConsentRates, lang: str = "en") -> list[Figure]:
    total = rates.total
    withdrawals = rates.kind_total("withdrawal")
    found = [
        Figure(word("decisions", lang), str(total)),
        Figure(word("accept_all", lang), percent(rates.kind_total("accept_all"), total)),
        Figure(word("reject_all", lang), percent(rates.kind_total("reject_all"), total)),
        Figure(word("withdrawals", lang), str(withdrawals)),
    ]
    found += [
        Figure(word("accepted", lang).format(category=c), percent(*rates.overall(c)))
        for c in rates.categories
    ]
    return found


def consent_panel(session: Session, period: DateRange, site: str | None, lang: str = "en") -> Panel:
    """The dashboard's consent panel (also printed by ``gateway stats``)."""
    rates = consent_rates(session, period, site)
    headers, rows = table(rates, lang)
    return Panel(
        id="consent",
        title=word("title", lang),
        figures=figures(rates, lang),
        charts=(decisions_chart(rates, lang), acceptance_chart(rates, lang)),
        headers=headers,
        rows=rows,
        note=word("note", lang),
    )
