"""Words of /admin/users in each staff language (English and Russian)."""

from __future__ import annotations

from typing import Final

from gateway.admin.auth import MIN_PASSWORD_LENGTH
from gateway.admin.models import ROLES

TEXTS: Final = {
    "en": {
        "title": "Users",
        "roles_help": (
            "<strong>admin</strong>: everything, including policy publishing, dead-letter "
            "retries and this page. <strong>staff</strong>: the request queue and read-only "
            "dashboards."
        ),
        "h_email": "E-mail",
        "h_role": "Role",
        "h_state": "State",
        "h_last": "Last sign-in (UTC)",
        "h_created": "Created",
        "h_change": "Change",
        "you": "(you)",
        "active": "active",
        "deactivated": "deactivated",
        "never": "never",
        "role_of": "Role of {email}",
        "set_role": "Set role",
        "deactivate": "Deactivate",
        "reactivate": "Reactivate",
        "own_account": "Another admin can change your account.",
        "create_title": "Create a user",
        "not_created": "The user was not created: see the message beside the field.",
        "password": "Password",
        "password_hint": (
            "At least {min} characters; give it to them in person or through a password manager."
        ),
        "repeat": "Repeat the password",
        "create": "Create user",
        "differ": "The two passwords differ.",
        "created": "Created {role} {email}; they can sign in now.",
        "role_now": "{email} is now {role}.",
        "reactivated": "{email} reactivated.",
        "deactivated_flash": "{email} deactivated and signed out everywhere.",
        "error": "{email}: {message}.",
        "no_user": "There is no such user.",
    },
    "ru": {
        "title": "Пользователи",
        "roles_help": (
            "<strong>admin</strong>: всё, включая публикацию политики, повтор мёртвых писем "
            "и эту страницу. <strong>staff</strong>: очередь обращений и сводки только для "
            "чтения."
        ),
        "h_email": "Адрес",
        "h_role": "Роль",
        "h_state": "Состояние",
        "h_last": "Последний вход (UTC)",
        "h_created": "Создан",
        "h_change": "Изменить",
        "you": "(вы)",
        "active": "активен",
        "deactivated": "отключён",
        "never": "не входил",
        "role_of": "Роль {email}",
        "set_role": "Сменить роль",
        "deactivate": "Отключить",
        "reactivate": "Включить снова",
        "own_account": "Вашу учётную запись может изменить другой администратор.",
        "create_title": "Новый пользователь",
        "not_created": "Пользователь не создан: см. сообщение у поля.",
        "password": "Пароль",
        "password_hint": (
            "Не короче {min} знаков; передайте его лично или через менеджер паролей."
        ),
        "repeat": "Пароль ещё раз",
        "create": "Создать пользователя",
        "differ": "Пароли не совпадают.",
        "created": "Создан пользователь {email} ({role}); он может войти.",
        "role_now": "{email}: теперь роль {role}.",
        "reactivated": "{email}: учётная запись снова включена.",
        "deactivated_flash": "{email}: учётная запись отключена, все сеансы завершены.",
        "error": "{email}: {message}.",
        "no_user": "Такого пользователя нет.",
    },
}

# The account rules' messages (gateway.admin.auth, gateway.admin.users) in Russian.
ERRORS_RU: Final = {
    "expected an e-mail address": "нужен адрес электронной почты",
    f"role must be one of {', '.join(ROLES)}": f"роль — одна из: {', '.join(ROLES)}",
    f"the password needs at least {MIN_PASSWORD_LENGTH} characters": (
        f"пароль должен быть не короче {MIN_PASSWORD_LENGTH} знаков"
    ),
    "you cannot change your own role; ask another admin": (
        "свою роль изменить нельзя; попросите другого администратора"
    ),
    "this is the last active admin; make someone else admin first": (
        "это последний активный администратор; сначала назначьте администратором другого"
    ),
    "you cannot deactivate your own account": "свою учётную запись отключить нельзя",
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


def error_text(message: str, lang: str) -> str:
    """An account rule's message in ``lang``; a taken address is named in either."""
    if lang != "ru":
        return message
    if message.startswith("a user ") and message.endswith(" already exists"):
        return f"пользователь {message[7:-15]} уже есть"
    return ERRORS_RU.get(message, message)
