"""`gateway admin …`: staff accounts."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from gateway.admin import auth
from gateway.admin.models import ROLES
from gateway.extensions import db

admin_group = AppGroup("admin", help="Staff accounts for /admin.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # For scripts and provisioning: the first line of stdin is the password.
        line = str(sys.stdin.readline())
        return line.rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password"))


@admin_group.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; the password is asked twice (or read from stdin)."""
    password = _read_password(password_stdin)
    try:
        with db.transaction() as session:
            user = auth.create_user(session, email, password, role)
    except auth.UserError as exc:
        # Names the account it is about: "cannot create 'x': expected an e-mail address".
        raise click.ClickException(f"cannot create {email!r}: {exc}") from exc
    click.echo(f"created {user.role} {user.email}")
