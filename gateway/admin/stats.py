"""`gateway stats`: the dashboard's numbers in the terminal."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.admin.dashboard import Panel, RangeError, panel_sources, parse_range
from gateway.extensions import db
from gateway.timeutil import today


def render_text(panel: Panel) -> str:
    lines = [panel.title, "-" * len(panel.title)]
    width = max((len(f.label) for f in panel.figures), default=0)
    lines += [f"  {f.label.ljust(width)}  {f.value}" for f in panel.figures]
    if panel.rows:
        cols = len(panel.headers)
        widths = [max(len(str(r[i])) for r in [panel.headers, *panel.rows]) for i in range(cols)]
        lines.append(
            "  " + "  ".join(h.ljust(w) for h, w in zip(panel.headers, widths, strict=True))
        )
        for row in panel.rows:
            lines.append(
                "  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
            )
    return "\n".join(lines)


@click.command("stats")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="First day (default: 14 days ago).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Last day (default: today).")
@click.option("--site", default=None, help="One site id (default: all sites).")
@with_appcontext
def stats_command(start: str | None, end: str | None, site: str | None) -> None:
    """Print the dashboard's numbers for a date range."""
    try:
        period = parse_range(start, end, today())
    except RangeError as exc:
        raise click.BadParameter(str(exc)) from exc
    scope = site or "all sites"
    click.echo(f"{period.start} .. {period.end}, {scope}\n")
    session = db.session()
    for source in panel_sources(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(render_text(source.build(session, period, site)))
        click.echo()
