"""`gateway consent verify|export`: proof of consent for auditors."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from typing import Any, TextIO

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from gateway.consent import chain, services
from gateway.consent.models import ConsentRecord
from gateway.extensions import db

CSV_FIELDS = (
    "seq",
    "created_at",
    "consent_id",
    "site",
    "kind",
    "source",
    "choices",
    "policy_version",
    "language",
    "text_hash",
    "browser_family",
    "prev_hash",
    "record_hash",
)
# Spreadsheets run cells that start with these as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(record: dict[str, Any]) -> list[str]:
    row = dict(record)
    row["choices"] = ";".join(f"{k}={'yes' if v else 'no'}" for k, v in record["choices"].items())
    return [spreadsheet_safe(row[name]) for name in CSV_FIELDS]


@click.group("consent")
def consent_group() -> None:
    """Proof of consent: verify the record chain, export records."""


@consent_group.command("verify")
@with_appcontext
def verify_command() -> None:
    """Walk the hash chain; exit 1 naming the first record that was altered or removed."""
    session = db.session()
    total = session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord))
    with click.progressbar(
        length=int(total or 0), label="verifying", file=sys.stderr, show_pos=True
    ) as bar:
        report = chain.verify(session, bar.update)
    if report.ok:
        click.echo(f"consent chain intact: {report.checked} records")
        return
    click.echo(f"consent chain BROKEN at {report.problem}", err=True)
    click.echo(f"{report.checked} records verified before it", err=True)
    sys.exit(1)


@consent_group.command("export")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Only records made on or after this date (YYYY-MM-DD, UTC).",
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write (default: standard output).",
)
@with_appcontext
def export_command(since: datetime | None, fmt: str, output: TextIO) -> None:
    """Stream consent records as JSON lines or CSV; progress goes to standard error."""
    session = db.session()
    day = since.date() if since else None
    total = services.count_export(session, day)
    if not total:
        # Standard error, so that an empty export file stays a valid empty export.
        after = f" made since {day}" if day else ""
        click.echo(
            f"no consent records{after}: they are made when a visitor chooses in the banner",
            err=True,
        )
    writer = csv.writer(output) if fmt == "csv" else None
    if writer:
        writer.writerow(CSV_FIELDS)
    with click.progressbar(length=total, label="exporting", file=sys.stderr, show_pos=True) as bar:
        for record in services.iter_export(session, day):
            if writer:
                writer.writerow(csv_row(record))
            else:
                output.write(json.dumps(record, ensure_ascii=False) + "\n")
            bar.update(1)
    output.flush()
