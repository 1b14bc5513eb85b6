"""`gateway traffic`: the gateway's own traffic figures in the terminal or as CSV;
and the retention of those figures."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from gateway.admin.dashboard import DateRange, RangeError, parse_range
from gateway.analytics import traffic
from gateway.analytics.models import TrafficDay
from gateway.extensions import db
from gateway.retention import Purger, register_purger
from gateway.sites import all_sites
from gateway.timeutil import today

DEFAULT_DAYS = 30


def month_range(month: str) -> DateRange:
    """``YYYY-MM`` as the range of its days."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except ValueError as exc:
        raise RangeError("a month is written YYYY-MM") from exc
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return DateRange(first, last)


def traffic_range(start: str | None, end: str | None, month: str | None, now: date) -> DateRange:
    """The period asked for: a month, from/to, or the last 30 days."""
    if month:
        if start or end:
            raise RangeError("give --month or --from/--to, not both")
        return month_range(month)
    if not start and not end:
        return DateRange(now - timedelta(days=DEFAULT_DAYS - 1), now)
    return parse_range(start, end, now)


@click.command("traffic")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (default: 29 days ago).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day (default: today).")
@click.option("--month", metavar="YYYY-MM", help="A calendar month instead of --from/--to.")
@click.option("--site", default=None, help="One site id (default: all sites).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv"]),
    default="table",
    show_default=True,
    help="A table to read, or CSV for a spreadsheet.",
)
@with_appcontext
def traffic_command(
    start: str | None, end: str | None, month: str | None, site: str | None, output: str
) -> None:
    """Page views per day, top pages, sources, countries and devices (k-anonymous counts)."""
    try:
        period = traffic_range(start, end, month, today())
    except RangeError as exc:
        raise click.BadParameter(str(exc)) from exc
    if site is not None and site not in all_sites():
        known = ", ".join(sorted(all_sites())) or "none"
        raise click.BadParameter(f"unknown site {site!r} (sites: {known})", param_hint="--site")
    report = traffic.traffic_report(db.session(), period.start, period.end, site)
    if output == "csv":
        click.echo(traffic.report_csv(report), nl=False)
    else:
        click.echo(traffic.report_text(report), nl=False)


def _older_than(now: datetime) -> sa.ColumnElement[bool]:
    cutoff = now.date() - timedelta(days=int(current_app.config["TRAFFIC_RETENTION"]))
    return TrafficDay.day < cutoff


def _count(now: datetime) -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(TrafficDay).where(_older_than(now))
        )
        or 0
    )


def _purge(now: datetime, batch: int) -> int:
    with db.engine.begin() as conn:
        ids = conn.execute(sa.select(TrafficDay.id).where(_older_than(now)).limit(batch))
        chosen = [row[0] for row in ids]
        if not chosen:
            return 0
        return int(conn.execute(sa.delete(TrafficDay).where(TrafficDay.id.in_(chosen))).rowcount)


def init_app(app: Flask) -> None:
    app.cli.add_command(traffic_command)
    register_purger(app, Purger("daily traffic figures", _count, _purge))
