"""`gateway policy …`: publish a version (or a translation of one) and list versions."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from gateway.extensions import db
from gateway.policy import publishing
from gateway.policy.store import add_translation, publish_version, version_records
from gateway.policy.versions import VersionInfo, status_of
from gateway.timeutil import today as utc_today


@click.group("policy")
def policy_group() -> None:
    """The versioned privacy policy."""


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise publishing.PublishError(f"{path} is not UTF-8 text: {exc.reason}") from exc
    except OSError as exc:
        raise publishing.PublishError(f"cannot read {path}: {exc.strerror}") from exc


@policy_group.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective", help="Date the version takes effect, YYYY-MM-DD (new versions).")
@click.option("--summary", default="", help="One sentence saying what changed, in FILE's language.")
@click.option(
    "--material",
    is_flag=True,
    help="A material change: visitors are asked for consent again once it takes effect.",
)
@click.option("--lang", default="en", show_default=True, help="Language of FILE (en or ru).")
@click.option(
    "--version",
    "version_number",
    type=int,
    help="Add FILE as the --lang translation of this existing current or upcoming version "
    "instead of publishing a new version.",
)
@with_appcontext
def publish_command(
    file: Path,
    effective: str | None,
    summary: str,
    material: bool,
    lang: str,
    version_number: int | None,
) -> None:
    """Publish FILE (Markdown) as the next policy version, or as a translation (--version).

    A leading "# Title" line becomes the page title. Write {{contact_email}} where the
    contact address belongs; it shows the GATEWAY_CONTACT_EMAIL setting. Give headings
    stable anchors ("## 4. Your data {#s4}") so links and diffs follow sections.
    """
    try:
        text = _read_text(file)
        with db.transaction() as session:
            if version_number is not None:
                if effective or material:
                    raise publishing.PublishError(
                        "--effective and --material belong to the version itself; "
                        "they cannot be given with --version"
                    )
                add_translation(
                    session, number=version_number, text=text, lang=lang, summary=summary
                )
                message = f"added the {lang.strip().lower()} text to version {version_number}"
            else:
                if not effective:
                    raise publishing.PublishError("--effective YYYY-MM-DD is required")
                day = publishing.parse_effective_date(effective)
                number = publish_version(
                    session,
                    text=text,
                    lang=lang,
                    effective=day,
                    summary=summary,
                    material=material,
                )
                when = "today" if day <= utc_today() else f"on {day.isoformat()}"
                kind = "material" if material else "non-material"
                message = f"published version {number} ({kind}); it takes effect {when}"
    except publishing.PublishError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(message)


@policy_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every version: number, effective date, status, languages, material, summary."""
    records = version_records(db.session())
    if not records:
        click.echo("no policy version yet: `gateway db upgrade` loads version 1")
        return
    infos = [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in records]
    today = utc_today()
    click.echo(f"{'no':>3}  {'effective':<10}  {'status':<10}  {'langs':<6}  material  summary")
    for record in records:
        click.echo(
            f"{record.number:>3}  {record.effective_date.isoformat():<10}  "
            f"{status_of(infos, record.number, today):<10}  {','.join(record.languages):<6}  "
            f"{'yes' if record.material else 'no':<8}  {record.summary}"
        )
