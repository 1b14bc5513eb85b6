"""The `gateway` command: Flask's CLI bound to create_app, plus set-up commands."""

from __future__ import annotations

import copy
import secrets
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, routes_command, shell_command
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from gateway import PROJECT_ROOT
from gateway import config as config_module


def _create_app() -> Flask:
    from gateway import create_app

    return create_app()


class GatewayGroup(FlaskGroup):
    """Flask's command group bound to create_app, showing the gateway's own commands.

    Flask's development server (`run`) is left out: the gateway is served by
    gunicorn (`make run`, deploy/). Flask's --app, --env-file and --debug options
    are dropped, since the app is always create_app() configured by GATEWAY_*.
    Flask's `shell` and `routes` are developer tools: callable, not listed.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            create_app=_create_app,
            add_default_commands=False,
            add_version_option=False,
            load_dotenv=False,
            **kwargs,  # type: ignore[arg-type]
        )
        self.params = [p for p in self.params if p.name not in {"app", "env_file", "debug"}]
        for developer_tool in (shell_command, routes_command):
            # A copy, so that Flask's own command objects stay as they are.
            hidden = copy.copy(developer_tool)
            hidden.hidden = True
            self.add_command(hidden)

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Before `gateway init` there is no secret key: say so in one line and list the
        # commands that work without one, instead of Flask's traceback.
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except config_module.ConfigError as exc:
            click.echo(f"Not configured yet ({exc}).\n", err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        # Flask-Limiter's maintenance group stays callable, but is not one of ours to list.
        if command is not None and name == "limiter":
            command.hidden = True
        return command


@click.group(cls=GatewayGroup)
def cli() -> None:
    """HotTelecom privacy gateway: the operator's commands.

    Run `gateway COMMAND --help` for one command. Settings come from GATEWAY_*
    variables and instance/gateway.toml (`gateway config` lists them).
    """


def main() -> None:
    """Console entry point: configuration problems are one clear line, not a traceback."""
    try:
        cli(prog_name="gateway")
    except config_module.ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except (OperationalError, ProgrammingError) as exc:
        # Database down, wrong address, unreadable file or not migrated: name it,
        # without a traceback. Other programming errors are bugs and keep theirs.
        problem = _first_line(exc)
        missing_table = "no such table" in problem or (
            "relation" in problem and "does not exist" in problem
        )
        if isinstance(exc, ProgrammingError) and not missing_table:
            raise
        click.echo(f"Error: cannot use the database {_database_shown()}: {problem}", err=True)
        if missing_table:
            click.echo("Run `gateway db upgrade` to create its tables (`make run` does).", err=True)
        sys.exit(1)


def _database_shown() -> str:
    try:
        url = _settings_only().config["DATABASE_URL"]
    except config_module.ConfigError:
        return "(GATEWAY_DATABASE_URL)"
    return f"GATEWAY_DATABASE_URL={make_url(url).render_as_string(hide_password=True)}"


def _first_line(exc: OperationalError | ProgrammingError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _settings_only() -> Flask:
    """An app with configuration loaded and nothing bound (works before `init`)."""
    probe = Flask(
        "gateway", instance_relative_config=True, instance_path=str(PROJECT_ROOT / "instance")
    )
    config_module.load(probe, require_secret=False)
    return probe


@cli.command("config", with_appcontext=False)
def config_command() -> None:
    """Print every setting with its current value (secrets masked) and help, then check
    the sites file (an error names the key and exits with status 2)."""
    from urllib.parse import urlsplit

    from gateway.sites import SitesError, load_sites

    probe = _settings_only()
    for setting, shown in config_module.describe(probe.config):
        click.echo(f"{setting.env_name}={shown}")
        click.echo(f"    {setting.help}")
    public = urlsplit(str(probe.config["PUBLIC_URL"]))
    path = probe.config["SITES_FILE"]
    try:
        sites = load_sites(path, f"{public.scheme}://{public.netloc}")
    except SitesError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    names = ", ".join(sites) or "none"
    click.echo(f"sites file {path}: valid ({len(sites)} sites: {names})", err=True)


@cli.command("serve", with_appcontext=False)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    envvar="PORT",
    default=8000,
    show_default=True,
    help="Port of the web server on 127.0.0.1 (also read from PORT).",
)
@click.option(
    "--mail-every",
    type=click.IntRange(1, 3600),
    default=30,
    show_default=True,
    help="Seconds between two deliveries of the queued e-mail.",
)
def serve_command(port: int, mail_every: int) -> None:
    """Run the whole gateway in the foreground: web server, forwarder, mail sender.

    Ctrl-C stops all three. Unless GATEWAY_PUBLIC_URL is configured, the public
    URL (e-mailed links, the demo page's origin) follows the port.
    """
    from gateway.serve import DEFAULT_PUBLIC_URL, serve

    probe = _settings_only()
    if not probe.config["SECRET_KEYS"]:
        raise click.ClickException("no secret key yet: run `gateway init` first (`make run` does)")
    configured = probe.config["PUBLIC_URL"]
    public_url = f"http://127.0.0.1:{port}" if configured == DEFAULT_PUBLIC_URL else None
    sys.exit(serve(port, mail_every, public_url))


@cli.command("init", with_appcontext=False)
@click.option("--demo/--no-demo", default=True, help="Write the demo sites file if none exists.")
def init_command(demo: bool) -> None:
    """Prepare instance/: a secret key if none is configured, and the demo sites file."""
    from gateway import create_app
    from gateway.sites import DEMO_SITES_TOML

    probe = _settings_only()
    instance = Path(probe.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not probe.config["SECRET_KEYS"]:
        toml = instance / "gateway.toml"
        existing = toml.read_text(encoding="utf-8") if toml.exists() else ""
        key = secrets.token_urlsafe(48)
        toml.write_text(existing + f'secret_keys = ["{key}"]\n', encoding="utf-8")
        toml.chmod(0o600)
        click.echo(f"wrote a new secret key to {toml}")
    sites_file = Path(probe.config["SITES_FILE"])
    if demo and not sites_file.exists():
        sites_file.parent.mkdir(parents=True, exist_ok=True)
        sites_file.write_text(DEMO_SITES_TOML, encoding="utf-8")
        click.echo(f"wrote the demo sites file {sites_file}")
    # Fails loudly now, not under gunicorn, if anything is wrong.
    create_app({"INSTANCE_PATH": str(instance)})
