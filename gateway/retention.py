"""`gateway purge`: every face registers what it removes after its retention period."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gateway.timeutil import utcnow

PURGERS_KEY = "gateway.purgers"


@dataclass(frozen=True)
class Purger:
    """``count(now)`` says how many rows are past retention; ``purge(now, batch)``
    deletes at most ``batch`` of them and returns how many it deleted."""

    name: str
    count: Callable[[datetime], int]
    purge: Callable[[datetime, int], int]


def register_purger(app: Flask, purger: Purger) -> None:
    app.extensions.setdefault(PURGERS_KEY, []).append(purger)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Print what would be removed; remove nothing.")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Rows deleted per transaction.",
)
@with_appcontext
def purge_command(dry_run: bool, batch: int) -> None:
    """Remove what is past its retention period (each period is a setting)."""
    now = utcnow()
    total = 0
    for purger in current_app.extensions.get(PURGERS_KEY, []):
        due = purger.count(now)
        if dry_run:
            click.echo(f"{purger.name}: {due} would be removed")
            total += due
            continue
        removed = 0
        # The bar on stderr: stdout keeps one result line per purger.
        with click.progressbar(
            length=due, label=purger.name, show_pos=True, file=sys.stderr
        ) as bar:
            while removed < due:
                step = purger.purge(now, batch)
                if step == 0:
                    break
                removed += step
                bar.update(step)
        click.echo(f"{purger.name}: {removed} removed")
        total += removed
    click.echo(f"total: {total} {'would be removed (dry run)' if dry_run else 'removed'}")


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_command)
