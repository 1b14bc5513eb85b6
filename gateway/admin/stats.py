"""`gateway stats`: the dashboard's numbers in the terminal."""

from __future__ import annotations

from collections.abc import Sequence

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.admin.dashboard import Panel, RangeError, panel_sources, parse_range
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.sites import all_sites
from gateway.timeutil import today


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    cols = len(headers)
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(cols)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    for row in rows:
        lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return lines


def render_text(panel: Panel, with_tables: bool = False) -> str:
    lines = [panel.title, "-" * len(panel.title)]
    width = max((len(f.label) for f in panel.figures), default=0)
    lines += [f"  {f.label.ljust(width)}  {f.value}" for f in panel.figures]
    if panel.rows:
        lines += _table(panel.headers, panel.rows)
    if with_tables:
        for table in panel.tables:
            lines += ["", f"  {table.caption}", *_table(table.headers, table.rows)]
    return "\n".join(lines)


@click.command("stats")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (default: 14 days ago).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day (default: today).")
@click.option("--site", default=None, help="One site id (default: all sites).")
@click.option("--days", "per_day", is_flag=True, help="Also print the numbers per day.")
@click.option(
    "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language."
)
@with_appcontext
def stats_command(
    start: str | None, end: str | None, site: str | None, per_day: bool, lang: str
) -> None:
    """Print the dashboard's numbers for a date range."""
    try:
        period = parse_range(start, end, today())
    except RangeError as exc:
        raise click.BadParameter(str(exc)) from exc
    if site is not None and site not in all_sites():
        known = ", ".join(sorted(all_sites())) or "none"
        raise click.BadParameter(f"unknown site {site!r} (sites: {known})", param_hint="--site")
    scope = site or "all sites"
    click.echo(f"{period.start} .. {period.end}, {scope}\n")
    session = db.session()
    for source in panel_sources(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(render_text(source.build(session, period, site, lang), with_tables=per_day))
        click.echo()
