"""Every staff page in the staff member's own language: Russian words when they chose
Russian, English ones otherwise, and no leftover heading of the other language."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
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
)
POLICY_EN = (
    "<h1>Privacy policy</h1>",
    '<h2 id="versions-title">Versions</h2>',
    "Publish version",
    ">Preview</button>",
    "Effective date",
    ">current<",
)


def test_policy_page_speaks_the_staff_members_language(app: Flask) -> None:
    russian = _page(_client(app, "ru"), "/admin/policy")
    assert all(words in russian for words in POLICY_RU), russian
    assert not any(words in russian for words in POLICY_EN)
    english = _page(_client(app, "en"), "/admin/policy")
    assert all(words in english for words in POLICY_EN)
    assert not any(words in english for words in POLICY_RU)
