"""`gateway db …`: Alembic migrations, run only from the command line."""

from __future__ import annotations

from collections.abc import Callable

import click
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import Engine

from gateway.db import MIGRATIONS_DIR

AFTER_UPGRADE_KEY = "gateway.after_upgrade"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revisions() -> set[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return set(script.get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    command.upgrade(alembic_config(engine), revision)


def register_after_upgrade(app_extensions: dict[str, object], hook: Callable[[], None]) -> None:
    """Features that need data in a fresh database (policy v1) register a hook here."""
    hooks = app_extensions.setdefault(AFTER_UPGRADE_KEY, [])
    assert isinstance(hooks, list)
    hooks.append(hook)


def run_after_upgrade_hooks() -> list[str]:
    done = []
    for hook in current_app.extensions.get(AFTER_UPGRADE_KEY, []):
        hook()
        done.append(getattr(hook, "__doc__", None) or hook.__name__)
    return done


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def upgrade_command(revision: str) -> None:
    """Migrate the database to the latest schema and load initial data."""
    engine = current_app.extensions["gateway.db"]
    upgrade(engine, revision)
    run_after_upgrade_hooks()
    click.echo(f"database at {', '.join(sorted(current_revisions(engine))) or 'base'}")


@db_group.command("current")
@with_appcontext
def current_command() -> None:
    """Print the database's migration revision and whether it is at the head."""
    engine = current_app.extensions["gateway.db"]
    current = current_revisions(engine)
    heads = head_revisions()
    state = "head" if current == heads else f"behind: head is {', '.join(sorted(heads))}"
    click.echo(f"{', '.join(sorted(current)) or 'base'} ({state})")
    if current != heads:
        click.echo("Run `gateway db upgrade` to migrate it (`make run` does).", err=True)
        raise SystemExit(1)
