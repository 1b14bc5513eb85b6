"""Every staff page in the staff member's own language: Russian words when they chose
Russian, English ones otherwise, and no leftover heading of the other language."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.admin.models import User
from gateway.contact.models import ContactRequest
from gateway.extensions import db
from tests.admin_support import csrf_token, make_user, sign_in


def _client(app: Flask, lang: str, role: str = "admin") -> FlaskClient:
    email = f"{role}-{lang}@hottelecom.example"
    make_user(app, email, role)
    with app.app_context(), db.transaction() as session:
        session.execute(sa.update(User).where(User.email == email).values(language=lang))
    client = app.test_client()
    sign_in(client, email)
    return client


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


DASHBOARD_RU = (
    "Обращения субъектов данных",
    "Решения о согласии",
    "Полученные события аналитики",
    "Переслано в Google Analytics",
    "Политика конфиденциальности",
    "Открыть очередь обращений",
    "ждут подтверждения адреса",
    "мёртвые письма",
)
DASHBOARD_EN = (
    "Data-subject requests",
    "Consent decisions",
    "Analytics events received",
    "Forwarded to Google Analytics",
    "Privacy policy",
    "Open the request queue",
    "awaiting e-mail confirmation",
    "dead letters",
)


def test_dashboard_panels_speak_the_staff_members_language(app: Flask) -> None:
    russian = _page(_client(app, "ru"), "/admin")
    for words in DASHBOARD_RU:
        assert words in russian
    for words in DASHBOARD_EN:
        assert words not in russian
    english = _page(_client(app, "en"), "/admin")
    for words in DASHBOARD_EN:
        assert words in english
    for words in DASHBOARD_RU:
        assert words not in english


def test_stats_prints_the_panels_in_the_language_asked_for(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert "Обращения субъектов данных" in runner.invoke(args=["stats", "--lang", "ru"]).output
    assert "Data-subject requests" in runner.invoke(args=["stats"]).output


CONSENTS = "/admin/consents?id=ABCD-EFGH-IJKL-MNOP"
CONSENTS_RU = (
    "<h1>Согласия</h1>",
    "Доказательство согласия",
    "Доля согласий по времени",
    ">Найти</button>",
    ">Показать</button>",
    "записей не хранится",
    "Решения о согласии по дням",
    '<th scope="col">всего</th>',
)
CONSENTS_EN = (
    "<h1>Consents</h1>",
    "Proof of consent",
    "Consent rate over time",
    ">Look up</button>",
    ">Show</button>",
    "No records are kept",
    "Consent decisions per day",
    '<th scope="col">total</th>',
)


def test_consents_page_speaks_the_staff_members_language(app: Flask) -> None:
    russian = _page(_client(app, "ru"), CONSENTS)
    assert all(words in russian for words in CONSENTS_RU), russian
    assert not any(words in russian for words in CONSENTS_EN)
    english = _page(_client(app, "en"), CONSENTS)
    assert all(words in english for words in CONSENTS_EN)
    assert not any(words in english for words in CONSENTS_RU)


def test_a_malformed_consent_id_is_explained_in_the_staff_language(app: Flask) -> None:
    response = _client(app, "ru").get("/admin/consents?id=hello")
    assert response.status_code == 400
    assert "Идентификатор согласия — 16 знаков" in response.get_data(as_text=True)


USERS_RU = (
    "<h1>Пользователи</h1>",
    "Новый пользователь",
    ">Создать пользователя</button>",
    ">Сменить роль</button>",
    "Последний вход (UTC)",
    "(вы)",
)
USERS_EN = (
    "<h1>Users</h1>",
    "Create a user",
    ">Create user</button>",
    ">Set role</button>",
    "Last sign-in (UTC)",
    "(you)",
)


def test_users_page_and_its_messages_speak_the_staff_members_language(app: Flask) -> None:
    make_user(app, "someone@hottelecom.example")
    client = _client(app, "ru")
    russian = _page(client, "/admin/users")
    assert all(words in russian for words in USERS_RU)
    assert not any(words in russian for words in USERS_EN)
    fields = {
        "csrf_token": csrf_token(russian),
        "email": "new@hottelecom.example",
        "role": "staff",
        "password": "short",
        "password_repeat": "short",
    }
    refused = client.post("/admin/users", data=fields)
    assert refused.status_code == 400
    assert "Пароль должен быть не короче" in refused.get_data(as_text=True)
    long = "a long enough passphrase"
    fields.update(password=long, password_repeat=long)
    done = client.post("/admin/users", data=fields, follow_redirects=True)
    assert "Создан пользователь new@hottelecom.example (staff)" in done.get_data(as_text=True)
    english = _page(_client(app, "en"), "/admin/users")
    assert all(words in english for words in USERS_EN)
    assert not any(words in english for words in USERS_RU)


def _request(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        item = ContactRequest(
            email="subscriber@mail.example",
            request_type="withdraw-consent",
            status="waiting",
            message="Please withdraw.",
            created_at=datetime(2026, 11, 20, 9),
            verified_at=datetime(2026, 11, 20, 10),
            due_date=date(2026, 12, 21),
        )
        session.add(item)
        session.flush()
        return item.id


QUEUE_RU = (
    "<h1>Обращения субъектов данных</h1>",
    ">Показать</button>",
    "Заявитель",
    "Исполнитель",
    "Отзыв согласия",
    "ждём ответа заявителя",
    "1 обращение,",
)
QUEUE_EN = (
    "<h1>Data-subject requests</h1>",
    ">Filter</button>",
    "Requester",
    "Assignee",
    "Consent withdrawal",
    "waiting for requester",
    "1 request,",
)
CARD_RU = (
    "Обращение №",
    "Журнал действий",
    "Переписка",
    ">Отправить ответ</button>",
    ">Отклонить</button>",
    ">Назначить</button>",
    "Отзыв согласия",
)
CARD_EN = (
    "Request #",
    "Audit log",
    "Replies",
    ">Send reply</button>",
    ">Reject</button>",
    ">Assign</button>",
    "Consent withdrawal",
)


def test_request_queue_and_card_speak_the_staff_members_language(app: Flask) -> None:
    number = _request(app)
    russian = _client(app, "ru")
    queue = _page(russian, "/admin/requests")
    assert all(words in queue for words in QUEUE_RU), queue
    assert not any(words in queue for words in QUEUE_EN)
    card = _page(russian, f"/admin/requests/{number}")
    assert all(words in card for words in CARD_RU), card
    assert not any(words in card for words in CARD_EN)
    # A refusal of the rules and a done action, both in Russian.
    empty = russian.post(
        f"/admin/requests/{number}/reply", data={"csrf_token": csrf_token(card), "text": " "}
    )
    assert empty.status_code == 400
    assert "Нужен текст ответа." in empty.get_data(as_text=True)
    sent = russian.post(
        f"/admin/requests/{number}/reply",
        data={"csrf_token": csrf_token(card), "text": "Готово."},
        follow_redirects=True,
    )
    assert "Ответ отправлен заявителю." in sent.get_data(as_text=True)
    english = _client(app, "en")
    queue = _page(english, "/admin/requests")
    assert all(words in queue for words in QUEUE_EN)
    assert not any(words in queue for words in QUEUE_RU)
    card = _page(english, f"/admin/requests/{number}")
    assert all(words in card for words in CARD_EN)
    assert not any(words in card for words in CARD_RU)


FORWARDED_RU = (
    "<h1>Что получает Google</h1>",
    "На входе",
    "Мёртвые письма",
    "Запросы в Google",
    ">Показать</button>",
    "Мёртвых писем нет.",
    "ни одно событие не попало в очередь",
)
FORWARDED_EN = (
    "<h1>What Google receives</h1>",
    "At the intake",
    "Dead letters",
    "Requests to Google",
    ">Filter</button>",
    "No dead letters.",
    "no event reached the outbox",
)


def test_what_google_receives_speaks_the_staff_members_language(app: Flask) -> None:
    russian = _page(_client(app, "ru"), "/admin/forwarded")
    assert all(words in russian for words in FORWARDED_RU), russian
    assert not any(words in russian for words in FORWARDED_EN)
    english = _page(_client(app, "en"), "/admin/forwarded")
    assert all(words in english for words in FORWARDED_EN)
    assert not any(words in english for words in FORWARDED_RU)


POLICY_RU = (
    "<h1>Политика конфиденциальности</h1>",
    '<h2 id="versions-title">Версии</h2>',
    "Опубликовать версию",
    ">Предпросмотр</button>",
    "Дата вступления в силу",
    "действующая",
    "<code>## 4. Ваши данные {#s4}</code>",
)
POLICY_EN = (
    "<h1>Privacy policy</h1>",
    '<h2 id="versions-title">Versions</h2>',
    "Publish version",
    ">Preview</button>",
    "Effective date",
    ">current<",
    "<code>## 4. Your data {#s4}</code>",
)


def test_policy_page_speaks_the_staff_members_language(app: Flask) -> None:
    russian = _page(_client(app, "ru"), "/admin/policy")
    assert all(words in russian for words in POLICY_RU), russian
    assert not any(words in russian for words in POLICY_EN)
    english = _page(_client(app, "en"), "/admin/policy")
    assert all(words in english for words in POLICY_EN)
    assert not any(words in english for words in POLICY_RU)


# What the pages say when a typed value cannot be used: in the staff member's language,
# naming the value (the command line keeps the English of `gateway stats`).
BAD_RANGES = (
    (
        "from=2026-13-01",
        "Период не подходит: «2026-13-01» — не дата; даты пишутся в виде ГГГГ-ММ-ДД. "
        "Показан период с 2026-11-12 по 2026-11-25.",
        "The date range cannot be used: &#39;2026-13-01&#39; is not a date; dates are written "
        "YYYY-MM-DD. Showing 2026-11-12 to 2026-11-25.",
    ),
    (
        "from=2026-11-20&to=2026-11-01",
        "Период не подходит: начало периода позже его конца (2026-11-20 позже 2026-11-01). "
        "Показан период с 2026-11-12 по 2026-11-25.",
        "The date range cannot be used: the range starts after it ends (2026-11-20 is after "
        "2026-11-01). Showing 2026-11-12 to 2026-11-25.",
    ),
    (
        "from=2024-01-01&to=2026-11-01",
        "Период не подходит: период охватывает не больше 366 дней, а с 2024-01-01 по "
        "2026-11-01 — 1036 дней. Показан период с 2026-11-12 по 2026-11-25.",
        "The date range cannot be used: a range covers at most 366 days (2024-01-01 to "
        "2026-11-01 is 1036). Showing 2026-11-12 to 2026-11-25.",
    ),
    (
        "from=2025-10-26&to=2026-11-01",
        "Период не подходит: период охватывает не больше 366 дней, а с 2025-10-26 по "
        "2026-11-01 — 372 дня. Показан период с 2026-11-12 по 2026-11-25.",
        "The date range cannot be used: a range covers at most 366 days (2025-10-26 to "
        "2026-11-01 is 372). Showing 2026-11-12 to 2026-11-25.",
    ),
    (
        "site=nowhere",
        "Сайта «nowhere» нет; показаны все сайты.",
        "There is no site &#39;nowhere&#39;; showing all sites.",
    ),
)


@pytest.mark.parametrize(("query", "russian", "english"), BAD_RANGES)
@time_machine.travel("2026-11-25 12:00:00", tick=False)
def test_a_bad_date_range_is_explained_in_the_staff_language(
    app: Flask, query: str, russian: str, english: str
) -> None:
    for lang, message, other in (("ru", russian, english), ("en", english, russian)):
        client = _client(app, lang)
        for path in ("/admin", "/admin/forwarded", "/admin/traffic"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, path
            html = response.get_data(as_text=True)
            assert message in html, (path, html)
            assert other not in html


@time_machine.travel("2026-11-25 12:00:00", tick=False)
def test_the_consents_page_explains_a_bad_range_in_the_staff_language(app: Flask) -> None:
    russian = _client(app, "ru").get("/admin/consents?from=2026-11-20&to=2026-11-01")
    assert (
        "Период: начало периода позже его конца (2026-11-20 позже 2026-11-01). "
        "Показаны последние 14 дней." in russian.get_data(as_text=True)
    )
    english = _client(app, "en").get("/admin/consents?from=2026-11-20&to=2026-11-01")
    assert (
        "Date range: the range starts after it ends (2026-11-20 is after 2026-11-01). "
        "Showing the last 14 days instead." in english.get_data(as_text=True)
    )


def test_period_fields_are_labelled_in_the_staff_language(app: Flask) -> None:
    in_russian, in_english = _client(app, "ru"), _client(app, "en")
    for path in ("/admin", "/admin/traffic", "/admin/forwarded"):
        russian = _page(in_russian, path)
        assert '<label for="from">С</label>' in russian, path
        assert '<label for="site">Сайт</label>' in russian, path
        assert '<option value="">все сайты</option>' in russian, path
        english = _page(in_english, path)
        assert '<label for="from">From</label>' in english, path
        assert '<option value="">all sites</option>' in english, path


def test_quick_ranges_are_named_in_the_staff_language(app: Flask) -> None:
    in_russian, in_english = _client(app, "ru"), _client(app, "en")
    for path in ("/admin", "/admin/traffic"):
        russian = _page(in_russian, path)
        assert all(f">{label}</a>" in russian for label in ("Сегодня", "7 дней", "90 дней"))
        assert ">Today</a>" not in russian
        english = _page(in_english, path)
        assert all(f">{label}</a>" in english for label in ("Today", "7 days", "90 days"))


def _post(client: FlaskClient, path: str, **fields: str) -> FlaskClient:
    token = csrf_token(client.get("/admin/policy").get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, **fields})
    assert response.status_code in (200, 303, 400), response.status_code
    return response


POLICY_FORM = {
    "lang": "en",
    "summary": "Analytics data is kept for 14 months.",
    "text": "# Privacy policy\n\nAnalytics data is kept for 14 months.",
}


@time_machine.travel("2026-11-25 12:00:00", tick=False)
def test_policy_refusals_speak_the_staff_members_language(app: Flask) -> None:
    english = _client(app, "en")
    published = _post(english, "/admin/policy/publish", effective="2026-12-15", **POLICY_FORM)
    assert published.status_code == 303
    russian = _client(app, "ru")
    # A publish refused: an earlier date than the version already announced.
    refused = _post(russian, "/admin/policy/publish", effective="2026-12-10", **POLICY_FORM)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert (
        '<p class="field-error" id="effective-error">Дата вступления в силу 2026-12-10 '
        "раньше, чем у уже опубликованной версии 2 (2026-12-15); версии вступают в силу в "
        "том порядке, в каком опубликованы.</p>" in html
    )
    assert "Версия не опубликована: см. сообщения у полей." in html
    refused = _post(english, "/admin/policy/publish", effective="2026-12-10", **POLICY_FORM)
    assert (
        "Effective date 2026-12-10 is earlier than that of version 2 (2026-12-15), which is "
        "already published; versions take effect in the order they are published."
        in refused.get_data(as_text=True)
    )
    # The preview names a changed section's state in words.
    changed = {**POLICY_FORM, "text": "# Privacy policy\n\n## Keeping {#s1}\n\nKept for 12 months."}
    _post(
        english,
        "/admin/policy/publish",
        effective="2026-12-20",
        **{**changed, "text": "# Privacy policy\n\n## Keeping {#s1}\n\nKept for 14 months."},
    )
    preview = _post(russian, "/admin/policy/preview", effective="2026-12-28", **changed)
    assert '<span class="badge badge-changed">изменён</span>' in preview.get_data(as_text=True)
    # Cancellations refused, each saying why.
    refusals = (
        (
            "1",
            "Версия 1 не отменена: она действует с 2026-01-01; вместо отмены опубликуйте "
            "новую версию.",
        ),
        ("2", "Версия 2 не отменена: после неё объявлена версия 3; сначала отмените версию 3."),
        ("7", "Версия 7 не отменена: версии 7 нет: её не было или она уже отменена."),
    )
    for number, message in refusals:
        _post(russian, f"/admin/policy/{number}/cancel")
        assert message in _page(russian, "/admin/policy")
    _post(english, "/admin/policy/1/cancel")
    assert (
        "Version 1 was not cancelled: it has been in force since 2026-01-01; publish a new "
        "version instead." in _page(english, "/admin/policy")
    )
    # A translation refused beside its field, then one added.
    translation = {"number": "1", "lang": "ru", "summary": "Первая версия.", "text": "# П\n\nТ"}
    refused = _post(russian, "/admin/policy/translation", **translation)
    assert refused.status_code == 400
    assert (
        '<p class="field-error" id="t-lang-error">У версии 1 уже есть русский текст; '
        "опубликованный текст не редактируется: чтобы изменить его, опубликуйте новую "
        "версию.</p>" in refused.get_data(as_text=True)
    )
    refused = _post(english, "/admin/policy/translation", **translation)
    assert (
        '<p class="field-error" id="t-lang-error">Version 1 already has its Russian text; a '
        "published text is never edited: publish a new version to change it.</p>"
        in refused.get_data(as_text=True)
    )
    refused = _post(russian, "/admin/policy/translation", **{**translation, "summary": " "})
    assert (
        '<p class="field-error" id="t-summary-error">Напишите краткое описание на этом '
        "языке; читатели видят его в уведомлениях.</p>" in refused.get_data(as_text=True)
    )
    added = _post(russian, "/admin/policy/translation", **{**translation, "number": "2"})
    assert added.status_code == 303
    assert "У версии 2 теперь есть русский текст." in _page(russian, "/admin/policy")


def test_dead_letter_retries_answer_in_the_staff_members_language(app: Flask) -> None:
    cases = (
        (
            {"event_id": "999"},
            "Повторять нечего: письма 999 нет среди мёртвых (его уже отправили повторно или "
            "удалили).",
            "Nothing to retry: dead letter 999 is not among the dead letters (already retried "
            "or purged).",
        ),
        (
            {"event_id": "1; drop"},
            "Мёртвого письма «1; drop» нет: номер мёртвого письма состоит из цифр.",
            "There is no dead letter &#39;1; drop&#39;: a dead letter&#39;s number is all digits.",
        ),
        (
            {"site": "nowhere"},
            "Сайта «nowhere» нет; в очередь ничего не возвращено.",
            "There is no site &#39;nowhere&#39;; nothing was put back in the queue.",
        ),
        (
            {},
            "Повторять нечего: мёртвых писем нет.",
            "Nothing to retry: there are no dead letters.",
        ),
    )
    russian, english = _client(app, "ru"), _client(app, "en")
    for fields, in_russian, in_english in cases:
        for client, message in ((russian, in_russian), (english, in_english)):
            token = csrf_token(_page(client, "/admin/forwarded"))
            response = client.post(
                "/admin/forwarded/retry",
                data={"csrf_token": token, **fields},
                follow_redirects=True,
            )
            assert message in response.get_data(as_text=True)


def test_filters_of_what_google_receives_are_explained_in_the_staff_language(
    app: Flask,
) -> None:
    html = _client(app, "ru").get("/admin/forwarded?mode=Bogus&page=-1").get_data(as_text=True)
    assert "Режима «Bogus» нет; выберите один из: event, aggregate." in html
    assert "Номер страницы — целое число от 1, а не «-1»." in html


def test_a_page_for_admins_refuses_staff_in_their_language(app: Flask) -> None:
    response = _client(app, "ru", role="staff").get("/admin/policy")
    assert response.status_code == 403
    assert (
        "Эта страница — для роли admin, а вы вошли с ролью staff. Если она вам нужна, "
        "обратитесь к администратору." in response.get_data(as_text=True)
    )
