from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from gateway import config
from gateway.config import SETTINGS, ConfigError

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_configuration_table_lists_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\|\s*`?(GATEWAY_[A-Z0-9_]+)`?\s*\|", text, re.MULTILINE))
    missing = [s.env_name for s in SETTINGS if s.env_name not in rows]
    assert missing == []
    unknown = rows - {s.env_name for s in SETTINGS} - {"GATEWAY_TEST_DATABASE_URL"}
    assert unknown == set()


def test_every_setting_has_help_and_a_parseable_default() -> None:
    resolved = config.resolve({}, "/inst")
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert setting.name in resolved


def _probe(tmp_path: Path) -> Flask:
    return Flask("probe", instance_path=str(tmp_path), instance_relative_config=True)


def test_layers_environment_over_toml_over_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gateway.toml").write_text(
        'secret_keys = ["from-toml"]\naggregate_min_count = 7\nga_endpoint = "http://toml"\n'
    )
    monkeypatch.setenv("GATEWAY_GA_ENDPOINT", "http://env")
    monkeypatch.setenv("GATEWAY_RATELIMIT_ENABLED", "false")
    app = _probe(tmp_path)
    config.load(app)
    assert app.config["AGGREGATE_MIN_COUNT"] == 7
    assert app.config["GA_ENDPOINT"] == "http://env"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["SECRET_KEY"] == "from-toml"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/gateway.db"


def test_secret_key_list_rotates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_SECRET_KEYS", "new-key, old-key")
    app = _probe(tmp_path)
    config.load(app)
    assert app.config["SECRET_KEY"] == "new-key"
    assert app.config["SECRET_KEY_FALLBACKS"] == ["old-key"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GATEWAY_AGGREGATE_MIN_COUNT", "five"),
        ("GATEWAY_RATELIMIT_ENABLED", "maybe"),
        ("GATEWAY_REQUEST_DEADLINE", "45d"),
        ("GATEWAY_REQUEST_RETENTION", "-3"),
    ],
)
def test_bad_values_name_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("GATEWAY_SECRET_KEYS", "k")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        config.load(_probe(tmp_path))


def test_unknown_toml_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "gateway.toml").write_text('secret_keys = ["k"]\nsecert_keys = ["typo"]\n')
    with pytest.raises(ConfigError, match="secert_keys"):
        config.load(_probe(tmp_path))


def test_missing_secret_key_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_SECRET_KEYS", raising=False)
    with pytest.raises(ConfigError, match="gateway init"):
        config.load(_probe(tmp_path))


def test_config_command_masks_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from gateway import cli

    monkeypatch.setenv("GATEWAY_SECRET_KEYS", "super-secret-value,older-secret")
    monkeypatch.setenv("GATEWAY_SMTP_URL", "smtp://mailer:hunter2@mail.example:587")
    monkeypatch.setenv("GATEWAY_AGGREGATE_MIN_COUNT", "9")
    result = CliRunner().invoke(cli.cli, ["config"])
    assert result.exit_code == 0, result.output
    assert "super-secret-value" not in result.output
    assert "hunter2" not in result.output
    assert "GATEWAY_SMTP_URL=smtp://mailer:********@mail.example:587" in result.output
    assert "GATEWAY_SECRET_KEYS=******** (2 set)" in result.output
    assert "GATEWAY_AGGREGATE_MIN_COUNT=9" in result.output
    for setting in SETTINGS:
        assert setting.env_name in result.output


def test_rate_limits_default_to_one_file_per_node_and_bad_urls_are_named() -> None:
    assert config.resolve({}, "/inst")["RATELIMIT_STORAGE_URL"] == "sqlite:////inst/ratelimits.db"
    for bad in ("sqlite://ratelimits.db", "sqlite:///", "postgres://x/y"):
        with pytest.raises(config.ConfigError, match="GATEWAY_RATELIMIT_STORAGE_URL"):
            config.resolve({"RATELIMIT_STORAGE_URL": bad}, "/inst")
    for good in ("memory://", "redis://127.0.0.1:6379/2", "rediss://h:6380/0"):
        assert (
            config.resolve({"RATELIMIT_STORAGE_URL": good}, "/inst")["RATELIMIT_STORAGE_URL"]
            == good
        )
