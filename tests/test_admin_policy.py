"""/admin/policy: versions, a publish form with preview and diff, the policy face's checks."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.admin.models import User
from gateway.extensions import db
from gateway.policy.drafts import Draft, check_draft
from gateway.policy.store import version_records
from gateway.policy.versions import VersionInfo
from tests.admin_support import signed_in, token_for

NOW = "2026-11-25 12:00:00"
TODAY = date(2026, 11, 25)
V1 = [VersionInfo(1, date(2026, 1, 1), True, "Initial version")]


def _current_text(client: FlaskClient) -> str:
    """The textarea's content: the current version, to start from."""
    import html as html_lib
    import re

    page = client.get("/admin/policy").get_data(as_text=True)
    match = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None
    return html_lib.unescape(match.group(1))


def _form(client: FlaskClient, **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": token_for(client, "/admin/policy"),
        "lang": "en",
        "effective": "2026-12-15",
        "summary": "Analytics data is kept for 14 months instead of 26.",
        "text": "",
    }
    data.update(fields)
    return data


def test_check_draft_puts_each_problem_beside_its_field() -> None:
    checked = check_draft(
        Draft(text="  ", lang="de", effective="2026-11-01", summary=""), V1, TODAY
    )
    assert set(checked.errors) == {"text", "lang", "effective", "summary"}
    assert "not supported" in checked.errors["lang"]
    assert "in the past" in checked.errors["effective"]
    assert "empty" in checked.errors["text"]
    assert not checked.ok
    fine = check_draft(
        Draft(text="# New\n\nBody", lang="ru", effective="2026-12-01", summary="x"), V1, TODAY
    )
    assert fine.ok
    assert (fine.title, fine.lang, fine.effective) == ("New", "ru", date(2026, 12, 1))
    assert (
        "not a real date"
        in check_draft(Draft(text="b", effective="2026-02-30", summary="s"), V1, TODAY).errors[
            "effective"
        ]
    )


@time_machine.travel(NOW, tick=False)
def test_versions_are_listed_and_the_current_text_is_the_starting_point(app: Flask) -> None:
    client = signed_in(app, "admin")
    html = client.get("/admin/policy").get_data(as_text=True)
    assert "Initial version" in html
    assert "Publish version 2" in html
    assert 'href="/privacy/v/1"' in html
    text = _current_text(client)
    assert text.startswith("# ")
    assert "{{contact_email}}" in text


@time_machine.travel(NOW, tick=False)
def test_preview_renders_the_text_and_the_word_diff_then_publish(app: Flask) -> None:
    client = signed_in(app, "admin")
    original = _current_text(client)
    # Change one word of the first paragraph that says "personal".
    edited = original.replace("personal", "individual", 1)
    assert edited != original
    response = client.post("/admin/policy/preview", data=_form(client, text=edited))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Changes against version 1 (en)" in html
    assert "<ins>individual</ins>" in html
    assert "<del>personal</del>" in html
    assert "1 words added · 1 words removed" in html
    assert 'action="/admin/policy/publish"' in html
    with app.app_context():
        assert len(version_records(db.session())) == 1  # a preview publishes nothing
    published = client.post(
        "/admin/policy/publish", data=_form(client, text=edited, material="yes")
    )
    assert published.status_code == 303
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "Published version 2 (a material change" in page
    assert "takes effect on 2026-12-15" in page
    with app.app_context():
        records = version_records(db.session())
    assert [r.number for r in records] == [1, 2]
    assert records[1].material is True
    assert records[1].effective_date == date(2026, 12, 15)
    assert records[1].summary == "Analytics data is kept for 14 months instead of 26."
    assert "individual" in records[1].texts["en"].markdown
    assert "\r" not in records[1].texts["en"].markdown
    # The public pages know it at once: an upcoming version.
    assert "2026-12-15" in client.get("/api/v1/policy/2").get_data(as_text=True)


REFUSED_DRAFTS = [
    (
        {"effective": "2026-11-01"},
        "effective",
        "Effective date 2026-11-01 is in the past (today is 2026-11-25); a policy change "
        "cannot take effect retroactively.",
        "Дата вступления в силу 2026-11-01 уже прошла (сегодня 2026-11-25); изменение "
        "политики не может вступить в силу задним числом.",
    ),
    (
        {"effective": ""},
        "effective",
        "Choose the date this version takes effect.",
        "Выберите дату, когда версия вступит в силу.",
    ),
    (
        {"effective": "15.12.2026"},
        "effective",
        "Effective date &#39;15.12.2026&#39; is not a date like 2026-03-01 (YYYY-MM-DD).",
        "Дата вступления в силу «15.12.2026» записана не как дата вида 2026-03-01 (ГГГГ-ММ-ДД).",
    ),
    (
        {"effective": "2026-02-30"},
        "effective",
        "Effective date &#39;2026-02-30&#39; is not a real date: there is no such day.",
        "Даты вступления в силу «2026-02-30» не бывает: такого дня нет в календаре.",
    ),
    (
        {"summary": "   "},
        "summary",
        "Say in one sentence what changed; readers see it in the feed.",
        "Напишите одним предложением, что изменилось; читатели увидят это в ленте.",
    ),
    (
        {"summary": "x" * 2001},
        "summary",
        "The summary is longer than 2000 characters.",
        "Краткое описание длиннее 2\u00a0000 символов.",
    ),
    (
        {"lang": "fr"},
        "lang",
        "Language &#39;fr&#39; is not supported; use one of ru, en.",
        "Язык «fr» не поддерживается; выберите один из: ru, en.",
    ),
    (
        {"text": "   "},
        "text",
        "The policy text is empty.",
        "Текст политики пуст.",
    ),
]


def _speaking(app: Flask, lang: str) -> FlaskClient:
    """An admin signed in who chose ``lang`` for the staff pages."""
    email = f"admin-{lang}@hottelecom.example"
    client = signed_in(app, "admin", email)
    with app.app_context(), db.transaction() as session:
        session.execute(sa.update(User).where(User.email == email).values(language=lang))
    return client


@pytest.mark.parametrize(("fields", "field", "english", "russian"), REFUSED_DRAFTS)
@time_machine.travel(NOW, tick=False)
def test_refused_drafts_keep_what_was_typed(
    app: Flask, fields: dict[str, str], field: str, english: str, russian: str
) -> None:
    for lang, message in (("en", english), ("ru", russian)):
        client = _speaking(app, lang)
        typed = {"text": "# Draft\n\nSome <b>carefully</b> typed text.", **fields}
        for path in ("/admin/policy/preview", "/admin/policy/publish"):
            response = client.post(path, data=_form(client, **typed))
            assert response.status_code == 400
            html = response.get_data(as_text=True)
            assert f'<p class="field-error" id="{field}-error">{message}</p>' in html
            lost = "Nothing you typed was lost" if lang == "en" else "Всё введённое сохранено"
            assert lost in html
            if typed["text"].strip():
                assert "Some &lt;b&gt;carefully&lt;/b&gt; typed text." in html
            if "summary" not in fields:
                assert 'value="Analytics data is kept for 14 months instead of 26."' in html
            if fields.get("effective"):
                assert f'value="{fields["effective"]}"' in html
    with app.app_context():
        assert len(version_records(db.session())) == 1


@time_machine.travel(NOW, tick=False)
def test_publish_and_cli_share_the_rules(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A version published on the page makes the CLI refuse an earlier date, and back."""
    client = signed_in(app, "admin")
    client.post(
        "/admin/policy/publish",
        data=_form(client, text="# V2\n\nText two.", effective="2027-01-10"),
    )
    source = tmp_path / "v3.md"
    source.write_text("# V3\n\nText three.", encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["policy", "publish", str(source), "--effective", "2026-12-31", "--summary", "s"]
    )
    assert result.exit_code != 0
    assert "earlier than that of version 2" in result.output
    response = client.post(
        "/admin/policy/publish",
        data=_form(client, text="# V3\n\nText three.", effective="2026-12-31"),
    )
    assert response.status_code == 400
    assert "earlier than that of version 2" in response.get_data(as_text=True)


@time_machine.travel(NOW, tick=False)
def test_the_preview_is_sanitised(app: Flask) -> None:
    client = signed_in(app, "admin")
    text = "# T\n\nHello <script>alert(1)</script> [x](javascript:alert(2)) {{contact_email}}"
    html = client.post("/admin/policy/preview", data=_form(client, text=text)).get_data(
        as_text=True
    )
    preview = html.split('class="preview-frame policy-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in preview
    assert "javascript:" not in preview
    assert "privacy@hottelecom.example" in preview
