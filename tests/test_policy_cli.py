"""`gateway policy publish|list` and `gateway db upgrade` loading version 1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskCliRunner

from gateway.extensions import db
from gateway.policy.store import changes_since, policy_state, version_records

TODAY = datetime(2026, 11, 25, 9, 30)
TEXT = "# Privacy Policy\n\n## 1. Collected information {#s1}\n\nWe collect less.\n"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "v2.en.md"
    path.write_text(TEXT, encoding="utf-8")
    return path


def versions(app: Flask) -> list[tuple[int, str, tuple[str, ...]]]:
    with app.app_context():
        return [
            (r.number, r.effective_date.isoformat(), r.languages)
            for r in version_records(db.session())
        ]


def test_db_upgrade_loads_version_one_once(app: Flask, runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = runner.invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert versions(app) == [(1, "2026-01-01", ("en", "ru"))]
    with app.app_context():
        (record,) = version_records(db.session())
    assert record.material is True
    assert record.summary == "Initial version"
    assert record.texts["ru"].summary == "Первая редакция"
    assert "{{contact_email}}" in record.texts["en"].markdown


def test_publish_a_new_version(app: Flask, runner: FlaskCliRunner, policy_file: Path) -> None:
    result = runner.invoke(
        args=[
            "policy", "publish", str(policy_file), "--effective", "2027-01-15",
            "--summary", "We collect less", "--material",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "published version 2 (material); it takes effect on 2027-01-15" in result.output
    assert versions(app)[-1] == (2, "2027-01-15", ("en",))
    with app.app_context():
        (record,) = [r for r in version_records(db.session()) if r.number == 2]
        state = policy_state(db.session())
    assert record.texts["en"].title == "Privacy Policy"
    assert record.texts["en"].markdown.startswith("## 1. Collected information")
    assert record.material
    assert state.current is not None
    assert state.current.number == 1
    assert [v.number for v in state.upcoming] == [2]


def test_publish_effective_today_is_current_at_once(
    app: Flask, runner: FlaskCliRunner, policy_file: Path
) -> None:
    result = runner.invoke(
        args=["policy", "publish", str(policy_file), "--effective", "2026-11-25", "--summary", "x"]
    )
    assert result.exit_code == 0, result.output
    assert "(non-material); it takes effect today" in result.output
    with app.app_context():
        state = policy_state(db.session())
    assert state.current is not None
    assert state.current.number == 2
    # Not material: consent given under version 1 still counts.
    assert state.consent_version == 1


def test_publish_a_russian_version_and_add_its_english_translation(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    ru = tmp_path / "v2.ru.md"
    ru.write_text("# Политика\n\n## 1. Данные {#s1}\n\nМеньше данных.\n", encoding="utf-8")
    result = runner.invoke(
        args=[
            "policy", "publish", str(ru), "--lang", "ru", "--effective", "2027-02-01",
            "--summary", "Собираем меньше данных", "--material",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    en = tmp_path / "v2.en.md"
    en.write_text(TEXT, encoding="utf-8")
    result = runner.invoke(
        args=["policy", "publish", str(en), "--version", "2", "--summary", "We collect less"]
    )
    assert result.exit_code == 0, result.output
    assert "added the en text to version 2" in result.output
    assert versions(app)[-1] == (2, "2027-02-01", ("en", "ru"))
    with app.app_context():
        ru_changes = changes_since(db.session(), 1, "ru", include_upcoming=True)
        en_changes = changes_since(db.session(), 1, "en", include_upcoming=True)
        not_yet = changes_since(db.session(), 1, "en")
    assert [(c.number, c.summary) for c in ru_changes] == [(2, "Собираем меньше данных")]
    assert [(c.number, c.summary) for c in en_changes] == [(2, "We collect less")]
    assert not_yet == []


def test_list_prints_every_version(app: Flask, runner: FlaskCliRunner, policy_file: Path) -> None:
    runner.invoke(
        args=["policy", "publish", str(policy_file), "--effective", "2027-01-15", "--summary", "S"]
    )
    result = runner.invoke(args=["policy", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["no", "effective", "status", "langs"]
    assert lines[1].split() == ["1", "2026-01-01", "current", "en,ru", "yes", "Initial", "version"]
    assert lines[2].split() == ["2", "2027-01-15", "upcoming", "en", "no", "S"]


def _publish_fails(app: Flask, runner: FlaskCliRunner, args: list[str], message: str) -> None:
    before = versions(app)
    result = runner.invoke(args=["policy", "publish", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert versions(app) == before


def test_empty_file_is_refused(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.md"
    empty.write_text("  \n\n", encoding="utf-8")
    args = [str(empty), "--effective", "2027-01-01", "--summary", "x"]
    _publish_fails(app, runner, args, "the policy text is empty")
    title_only = tmp_path / "title.md"
    title_only.write_text("# Privacy Policy\n", encoding="utf-8")
    args = [str(title_only), "--effective", "2027-01-01", "--summary", "x"]
    _publish_fails(app, runner, args, "the policy text is empty")


@pytest.mark.parametrize(
    ("effective", "message"),
    [
        ("2027-02-30", "is not a real date"),
        ("15.01.2027", "is not a date like 2026-03-01"),
        ("tomorrow", "is not a date like 2026-03-01"),
        ("2026-11-24", "is in the past (today is 2026-11-25)"),
    ],
)
def test_bad_dates_are_refused(
    app: Flask, runner: FlaskCliRunner, policy_file: Path, effective: str, message: str
) -> None:
    args = [str(policy_file), "--effective", effective, "--summary", "x"]
    _publish_fails(app, runner, args, message)


def test_effective_date_before_the_current_version_is_refused(
    app: Flask, runner: FlaskCliRunner, policy_file: Path
) -> None:
    args = [str(policy_file), "--effective", "2025-12-31", "--summary", "x"]
    _publish_fails(app, runner, args, "earlier than that of the current version 1 (2026-01-01)")


def test_effective_date_before_an_announced_version_is_refused(
    app: Flask, runner: FlaskCliRunner, policy_file: Path
) -> None:
    ok = runner.invoke(
        args=["policy", "publish", str(policy_file), "--effective", "2027-03-01", "--summary", "x"]
    )
    assert ok.exit_code == 0, ok.output
    # Version 3 effective before version 2 would make version 2 never apply.
    args = [str(policy_file), "--effective", "2027-02-01", "--summary", "y"]
    _publish_fails(app, runner, args, "earlier than that of version 2 (2027-03-01)")


def test_effective_date_before_the_current_one_when_clock_is_behind(
    app: Flask, runner: FlaskCliRunner, policy_file: Path, frozen: time_machine.Traveller
) -> None:
    frozen.move_to(datetime(2025, 12, 1))  # version 1 (2026-01-01) is not yet in effect
    args = [str(policy_file), "--effective", "2025-12-15", "--summary", "y"]
    _publish_fails(app, runner, args, "is earlier than that of version 1 (2026-01-01)")


def test_other_bad_input_is_refused(
    app: Flask, runner: FlaskCliRunner, policy_file: Path, tmp_path: Path
) -> None:
    _publish_fails(app, runner, [str(policy_file), "--summary", "x"], "--effective YYYY-MM-DD")
    _publish_fails(
        app, runner, [str(policy_file), "--effective", "2027-01-01"], "--summary is required"
    )
    _publish_fails(
        app,
        runner,
        [str(policy_file), "--effective", "2027-01-01", "--summary", "x", "--lang", "de"],
        "language 'de' is not supported",
    )
    binary = tmp_path / "policy.md"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    _publish_fails(
        app, runner, [str(binary), "--effective", "2027-01-01", "--summary", "x"], "not UTF-8"
    )
    _publish_fails(
        app, runner, [str(tmp_path / "missing.md"), "--effective", "2027-01-01"], "does not exist"
    )


def test_translations_are_refused_when_they_would_edit_history(
    app: Flask, runner: FlaskCliRunner, policy_file: Path
) -> None:
    _publish_fails(app, runner, [str(policy_file), "--version", "7"], "there is no version 7")
    _publish_fails(app, runner, [str(policy_file), "--version", "99999999999"], "no version")
    _publish_fails(
        app, runner, [str(policy_file), "--version", "1"], "version 1 already has a text in 'en'"
    )
    _publish_fails(
        app,
        runner,
        [str(policy_file), "--version", "1", "--lang", "ru", "--effective", "2027-01-01"],
        "cannot be given with --version",
    )
    ok = runner.invoke(
        args=["policy", "publish", str(policy_file), "--effective", "2026-11-25", "--summary", "x"]
    )
    assert ok.exit_code == 0, ok.output
    _publish_fails(
        app, runner, [str(policy_file), "--version", "1", "--lang", "ru"], "version 1 is superseded"
    )
