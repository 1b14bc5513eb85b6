"""`gateway init`, `gateway db upgrade` and `gateway db current`, as `make run` uses them."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from gateway import cli
from gateway.sites import parse_sites


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh machine: no key, no sites file, no database, nothing in the environment."""
    for name in ("GATEWAY_SECRET_KEYS", "GATEWAY_DATABASE_URL", "GATEWAY_SITES_FILE"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "instance"
    monkeypatch.setattr(cli, "PROJECT_ROOT", tmp_path)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{folder / 'gateway.db'}")
    monkeypatch.setenv("GATEWAY_SITES_FILE", str(folder / "sites.toml"))
    monkeypatch.setenv("GATEWAY_MAIL_DIR", str(folder / "mail"))
    return folder


def _create_app_in(folder: Path):  # type: ignore[no-untyped-def]
    from gateway import create_app

    return lambda: create_app({"INSTANCE_PATH": str(folder)})


def test_init_writes_a_key_and_the_demo_site_once(instance: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli.cli, ["init"], obj=ScriptInfo(create_app=_create_app_in(instance)))
    assert first.exit_code == 0, first.output
    assert "wrote a new secret key" in first.output
    settings = tomllib.loads((instance / "gateway.toml").read_text())
    [key] = settings["secret_keys"]
    assert len(key) >= 48
    assert (instance / "gateway.toml").stat().st_mode & 0o077 == 0
    assert "hottelecom" in parse_sites((instance / "sites.toml").read_text())

    again = runner.invoke(cli.cli, ["init"], obj=ScriptInfo(create_app=_create_app_in(instance)))
    assert again.exit_code == 0, again.output
    assert "wrote" not in again.output  # running `make run` twice keeps key and sites
    assert tomllib.loads((instance / "gateway.toml").read_text())["secret_keys"] == [key]


def test_db_upgrade_then_current(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    info = ScriptInfo(create_app=_create_app_in(instance))
    assert runner.invoke(cli.cli, ["init"], obj=info).exit_code == 0
    monkeypatch.setenv(
        "GATEWAY_SECRET_KEYS",
        tomllib.loads((instance / "gateway.toml").read_text())["secret_keys"][0],
    )
    behind = runner.invoke(cli.cli, ["db", "current"], obj=info)
    assert behind.exit_code == 1
    assert "behind" in behind.output

    upgraded = runner.invoke(cli.cli, ["db", "upgrade"], obj=info)
    assert upgraded.exit_code == 0, upgraded.output
    current = runner.invoke(cli.cli, ["db", "current"], obj=info)
    assert current.exit_code == 0, current.output
    assert "(head)" in current.output

    # Upgrading again changes nothing and loads policy version 1 only once.
    assert runner.invoke(cli.cli, ["db", "upgrade"], obj=info).exit_code == 0
    listing = runner.invoke(cli.cli, ["policy", "list"], obj=info)
    assert listing.exit_code == 0, listing.output
    assert listing.output.count("Initial version") == 1


def _listed_commands(output: str) -> set[str]:
    listing = output.split("Commands:", 1)[1]
    return {line.split()[0] for line in listing.splitlines() if line.startswith("  ")}


def test_help_lists_the_gateways_commands_and_not_flasks_server(instance: Path) -> None:
    runner = CliRunner()
    info = ScriptInfo(create_app=_create_app_in(instance))
    assert runner.invoke(cli.cli, ["init"], obj=info).exit_code == 0
    shown = runner.invoke(cli.cli, ["--help"], obj=ScriptInfo(create_app=_create_app_in(instance)))
    assert shown.exit_code == 0, shown.output
    commands = _listed_commands(shown.output)
    assert {"forward", "outbox", "policy", "consent", "admin", "purge", "db", "mail"} <= commands
    # Flask's development server is not how the gateway is started; its app options are gone.
    assert "run" not in commands
    assert "limiter" not in commands
    assert "--app" not in shown.output
    assert "--env-file" not in shown.output


def test_help_before_init_says_what_is_missing_in_one_line(instance: Path) -> None:
    shown = CliRunner().invoke(
        cli.cli, ["--help"], obj=ScriptInfo(create_app=_create_app_in(instance))
    )
    assert shown.exit_code == 0
    assert "Traceback" not in shown.output
    assert "Not configured yet (no secret key" in shown.output
    assert {"init", "config"} <= _listed_commands(shown.output)


def test_flasks_developer_tools_are_callable_but_not_listed(instance: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            cli.cli, ["init"], obj=ScriptInfo(create_app=_create_app_in(instance))
        ).exit_code
        == 0
    )
    shown = runner.invoke(cli.cli, ["--help"], obj=ScriptInfo(create_app=_create_app_in(instance)))
    commands = _listed_commands(shown.output)
    assert "routes" not in commands
    assert "shell" not in commands
    routes = runner.invoke(cli.cli, ["routes"], obj=ScriptInfo(create_app=_create_app_in(instance)))
    assert routes.exit_code == 0, routes.output
    assert "/healthz" in routes.output
    # Flask's own command objects are left as they were.
    from flask.cli import routes_command, shell_command

    assert not routes_command.hidden
    assert not shell_command.hidden


def test_db_current_behind_says_what_to_run(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    info = ScriptInfo(create_app=_create_app_in(instance))
    assert runner.invoke(cli.cli, ["init"], obj=info).exit_code == 0
    monkeypatch.setenv(
        "GATEWAY_SECRET_KEYS",
        tomllib.loads((instance / "gateway.toml").read_text())["secret_keys"][0],
    )
    behind = runner.invoke(cli.cli, ["db", "current"], obj=info)
    assert behind.exit_code == 1
    assert behind.stdout.startswith("base (behind: head is ")
    assert behind.stdout.endswith(")\n")
    assert "Run `gateway db upgrade`" in behind.stderr


def _gateway(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | env
    return subprocess.run(
        [str(Path(sys.executable).with_name("gateway")), *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_database_problems_are_one_line_naming_the_database(tmp_path: Path) -> None:
    base = {
        "GATEWAY_SECRET_KEYS": "k-" + "0" * 40,
        "GATEWAY_SITES_FILE": str(tmp_path / "sites.toml"),
        "GATEWAY_MAIL_DIR": str(tmp_path / "mail"),
    }
    # Not migrated yet: names the file and says what to run.
    empty = _gateway(
        base | {"GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"}, "outbox", "show"
    )
    assert empty.returncode == 1
    assert "Traceback" not in empty.stderr
    assert (
        f"cannot use the database GATEWAY_DATABASE_URL=sqlite:///{tmp_path}/new.db" in empty.stderr
    )
    assert "no such table" in empty.stderr
    assert "Run `gateway db upgrade`" in empty.stderr
    # Unreachable server: named with its password masked, and why.
    away = _gateway(
        base | {"GATEWAY_DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x"},
        "db",
        "current",
    )
    assert away.returncode == 1
    assert "Traceback" not in away.stderr
    assert "postgresql+psycopg://u:***@127.0.0.1:1/x" in away.stderr
    assert "hunter2" not in away.stderr
    assert "Connection refused" in away.stderr
    assert len(away.stderr.strip().splitlines()) == 1
