"""What the banner says, in every language a site may use, and the hash of it.

The banner shows exactly these strings (with the overrides of the site's
``texts`` in the sites file, plus the site's own categories), so
the hash recorded with a decision proves which wording the visitor saw.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gateway.policy.texts import long_date
from gateway.policy.versions import VersionInfo
from gateway.sites import Site

BANNER_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Cookie и ваша конфиденциальность",
        "body": (
            "Мы используем необходимые cookie, чтобы сайт работал. С вашего разрешения "
            "мы также учитываем посещения, чтобы улучшать услуги: Google Analytics "
            "получает только обезличенную статистику."
        ),
        "accept": "Принять все",
        "reject": "Отклонить все",
        "customize": "Настроить",
        "save": "Сохранить выбор",
        "close": "Закрыть",
        "policy": "Политика конфиденциальности",
        "prefs": "Настройки cookie",
        "always": "Всегда включены",
        "id": "Ваш идентификатор согласия",
        "id_hint": "Укажите его, если захотите отозвать согласие.",
        "gpc": (
            "Ваш браузер передаёт сигнал Global Privacy Control. Мы его соблюдаем: "
            "аналитика отключена."
        ),
        "updated": "Мы обновили политику конфиденциальности.",
        "upcoming": "Политика конфиденциальности изменится {date}.",
        "diff": "Что изменилось",
        "ok": "Понятно",
        "failed": "Не удалось сохранить. Попробуйте ещё раз.",
        "blocked": "Это содержимое загрузится после вашего согласия:",
        "allow": "Разрешить",
        "cookies": "Cookie",
    },
    "en": {
        "title": "Cookies and your privacy",
        "body": (
            "We use necessary cookies to make this site work. With your permission we also "
            "count visits to improve our services: Google Analytics receives only "
            "impersonal statistics."
        ),
        "accept": "Accept all",
        "reject": "Reject all",
        "customize": "Customize",
        "save": "Save choices",
        "close": "Close",
        "policy": "Privacy policy",
        "prefs": "Cookie settings",
        "always": "Always on",
        "id": "Your consent ID",
        "id_hint": "Quote it if you want to withdraw your consent.",
        "gpc": (
            "Your browser sends a Global Privacy Control signal. We honour it: analytics is off."
        ),
        "updated": "We have updated our privacy policy.",
        "upcoming": "Our privacy policy changes on {date}.",
        "diff": "What changed",
        "ok": "Got it",
        "failed": "Could not save. Please try again.",
        "blocked": "This content loads once you allow it:",
        "allow": "Allow",
        "cookies": "Cookies",
    },
}

BUILTIN_CATEGORY_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "necessary": {
        "ru": {
            "title": "Необходимые",
            "description": ("Обеспечивают работу сайта и запоминают ваш выбор."),
        },
        "en": {
            "title": "Strictly necessary",
            "description": ("Keep the site working and remember your choice."),
        },
    },
    "analytics": {
        "ru": {
            "title": "Аналитика",
            "description": (
                "Статистика посещений для улучшения сайта. Идентификаторы удаляются "
                "на нашем сервере: Google Analytics получает только обезличенные данные."
            ),
        },
        "en": {
            "title": "Analytics",
            "description": (
                "Visit statistics that help us improve the site. Identifiers are removed "
                "on our server: Google Analytics receives only impersonal data."
            ),
        },
    },
}


def site_texts(site: Site, language: str) -> dict[str, str]:
    """The banner's strings of one language for ``site``: built-in, with the site's overrides."""
    return {**BANNER_TEXTS[language], **site.texts.get(language, {})}


def banner_texts(site: Site, language: str, upcoming: VersionInfo | None) -> dict[str, str]:
    """The strings of one language, the upcoming-change notice filled in (or left out)."""
    texts = site_texts(site, language)
    if upcoming is None:
        del texts["upcoming"]
    else:
        texts["upcoming"] = texts["upcoming"].format(
            date=long_date(upcoming.effective_date, language)
        )
    return texts


def categories(site: Site, language: str) -> list[dict[str, Any]]:
    """The categories a visitor of ``site`` is offered, in display order."""
    shown = []
    for cid, texts in BUILTIN_CATEGORY_TEXTS.items():
        shown.append({"id": cid, "required": cid == "necessary", **texts[language]})
    for category in site.extra_categories:
        text = category.texts.get(language) or next(
            iter(category.texts.values()), {"title": category.id, "description": ""}
        )
        shown.append({"id": category.id, "required": False, **text})
    return shown


# The banner carries only the start of the hash (64 bits: a changed text cannot match by
# chance); a decision sent with it is recorded with the whole hash.
BANNER_HASH_LENGTH = 16


def text_hash(site: Site, language: str, policy_version: int) -> str:
    """SHA-256 of everything the visitor is shown, in a canonical form."""
    shown = {
        "site": site.id,
        "language": language,
        "policy_version": policy_version,
        # The site's overrides included: the words the visitor actually read.
        "texts": site_texts(site, language),
        "categories": categories(site, language),
    }
    canonical = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
