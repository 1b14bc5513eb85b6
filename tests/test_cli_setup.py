"""`gateway init`, `gateway db upgrade` and `gateway db current`, as `make run` uses them."""

from __future__ import annotations

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
