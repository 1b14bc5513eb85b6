"""/admin/policy after an announcement: the next version starts from the announced one,
an upcoming version can be cancelled, translations are added on the page, and each
language shows its own summary."""

from __future__ import annotations

import html as html_lib
import re

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.extensions import db
from gateway.policy.store import publish_version, version_records
from tests.admin_support import signed_in, token_for

NOW = "2026-11-25 12:00:00"
V2_TEXT = "# Privacy policy\n\n## 1. Retention {#s1}\n\nAnalytics data is kept for 14 months.\n"


def _textarea(page: str) -> str:
    match = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None
    return html_lib.unescape(match.group(1))


def _announce_v2(app: Flask) -> None:
    from datetime import date

    with app.app_context(), db.transaction() as session:
        publish_version(
            session,
            text=V2_TEXT,
            lang="en",
            effective=date(2026, 12, 20),
            summary="Analytics data is kept for 14 months.",
            material=True,
        )


def _post(client: FlaskClient, path: str, **fields: str) -> tuple[int, str]:
    data = {"csrf_token": token_for(client, "/admin/policy"), **fields}
    response = client.post(path, data=data)
    return response.status_code, response.headers.get("Location", "")


@time_machine.travel(NOW, tick=False)
def test_the_next_version_starts_from_the_announced_one_and_diffs_against_it(
    app: Flask,
) -> None:
    _announce_v2(app)
    client = signed_in(app, "admin")
    page = client.get("/admin/policy").get_data(as_text=True)
    start = _textarea(page)
    assert "Analytics data is kept for 14 months." in start
    assert "Version 2's text (the latest, not yet in force)" in page
    typed = start.replace("14 months", "12 months")
    preview = client.post(
        "/admin/policy/preview",
        data={
            "csrf_token": token_for(client, "/admin/policy"),
            "lang": "en",
            "effective": "2026-12-28",
            "summary": "Kept for 12 months.",
            "text": typed,
        },
    ).get_data(as_text=True)
    assert "Changes against version 2 (en)" in preview
    assert "<del>14</del>" in preview
    assert "<ins>12</ins>" in preview


@time_machine.travel(NOW, tick=False)
def test_an_upcoming_version_is_cancelled_and_no_reader_sees_it(app: Flask) -> None:
    _announce_v2(app)
    client = signed_in(app, "admin")
    assert client.get("/privacy/v/2").status_code == 200
    assert "Cancel version 2" in client.get("/admin/policy").get_data(as_text=True)
    assert "Cancel version 1" not in client.get("/admin/policy").get_data(as_text=True)
    code, where = _post(client, "/admin/policy/2/cancel")
    assert (code, where) == (303, "/admin/policy")
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "Version 2 is cancelled" in page
    assert "Analytics data is kept for 14 months." not in _textarea(page)
    assert client.get("/privacy/v/2").status_code == 404
    assert client.get("/api/v1/policy/2").status_code == 404
    assert "Analytics data is kept for 14 months." not in client.get("/privacy/feed.atom").text
    with app.app_context():
        assert [r.number for r in version_records(db.session())] == [1]
    # Cancelling again, or the version in force, is refused with a reason.
    _post(client, "/admin/policy/2/cancel")
    assert "there is no version 2 to cancel" in client.get("/admin/policy").get_data(True)
    _post(client, "/admin/policy/1/cancel")
    assert "Version 1 was not cancelled: it has been in force since 2026-01-01" in client.get(
        "/admin/policy"
    ).get_data(True)
    # The next version gets a new number: 2 stays the cancelled one's.
    code, _ = _post(
        client,
        "/admin/policy/publish",
        lang="en",
        effective="2026-12-28",
        summary="Kept for 12 months.",
        text=V2_TEXT.replace("14", "12"),
    )
    assert code == 303
    with app.app_context():
        assert [r.number for r in version_records(db.session())] == [1, 3]


@time_machine.travel(NOW, tick=False)
def test_a_staff_member_cannot_cancel(app: Flask) -> None:
    _announce_v2(app)
    staff = signed_in(app, "staff")
    page = staff.get("/admin").get_data(as_text=True)
    from tests.admin_support import csrf_token

    response = staff.post("/admin/policy/2/cancel", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 403
    with app.app_context():
        assert [r.number for r in version_records(db.session())] == [1, 2]


@time_machine.travel(NOW, tick=False)
def test_a_translation_is_added_on_the_page_with_its_own_summary(app: Flask) -> None:
    _announce_v2(app)
    client = signed_in(app, "admin")
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "no Russian text or summary yet" in page
    assert "2 (upcoming; missing ru)" in page
    code, _ = _post(
        client, "/admin/policy/translation", number="2", lang="ru", summary="", text="# П\n\nТ"
    )
    assert code == 400
    code, _ = _post(
        client,
        "/admin/policy/translation",
        number="2",
        lang="ru",
        summary="Данные аналитики хранятся 14 месяцев.",
        text="# Политика\n\n## 1. Хранение {#s1}\n\nДанные аналитики хранятся 14 месяцев.\n",
    )
    assert code == 303
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "Данные аналитики хранятся 14 месяцев." in page
    assert "no Russian text or summary yet" not in page
    with app.app_context():
        v2 = version_records(db.session())[-1]
    assert v2.languages == ("en", "ru")
    assert v2.summary_in("ru") == "Данные аналитики хранятся 14 месяцев."
    # A second Russian text for the same version is refused beside the language.
    code, _ = _post(
        client, "/admin/policy/translation", number="2", lang="ru", summary="x", text="# P\n\nT"
    )
    assert code == 400


@time_machine.travel(NOW, tick=False)
def test_the_russian_notice_of_an_english_only_version_says_so(app: Flask) -> None:
    _announce_v2(app)
    client = app.test_client()
    page = client.get("/privacy?lang=ru").get_data(as_text=True)
    notice = page.split('class="notice notice-upcoming"', 1)[1].split("</aside>", 1)[0]
    assert "Эта редакция пока опубликована только на другом языке" in notice
    assert '<span class="notice-summary" lang="en">Analytics data is kept' in notice
    english = client.get("/privacy?lang=en").get_data(as_text=True)
    notice = english.split('class="notice notice-upcoming"', 1)[1].split("</aside>", 1)[0]
    assert "not yet published" not in notice
    assert '<span class="notice-summary" lang="en">Analytics data is kept' in notice
