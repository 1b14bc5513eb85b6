"""Words of the policy pages in each language, and dates written as people read them."""

from __future__ import annotations

from datetime import date

RU_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

UI: dict[str, dict[str, str]] = {
    "en": {
        "cookies_title": "Cookies on {site}",
        "cookie_name": "Cookie",
        "cookie_provider": "Provider",
        "cookie_expires": "Expires",
        "cookie_purpose": "Purpose",
        "version": "Version",
        "effective": "Effective from",
        "published": "Published",
        "summary": "Summary",
        "status": "Status",
        "current": "current",
        "upcoming": "upcoming",
        "superseded": "superseded",
        "material": "material change",
        "languages": "Languages",
        "contents": "Contents",
        "all_versions": "All versions",
        "versions_title": "Privacy policy versions",
        "versions_lead": "Every published version stays readable. A material change asks "
        "visitors for their consent again.",
        "feed": "Atom feed",
        "upcoming_notice": "An updated privacy policy (version {number}) takes effect on {date}.",
        "see_changes": "See what changes",
        "read_upcoming": "Read version {number}",
        "superseded_notice": "This is version {number}, in effect from {start} until a newer "
        "version replaced it on {end}.",
        "read_current": "Read the current policy",
        "upcoming_page_notice": "This version takes effect on {date}.",
        "changes_from": "Changes from the previous version",
        "diff_title": "Changes between version {a} and version {b}",
        "diff_lead": "Words removed are struck through; words added are underlined.",
        "words_added": "{n} words added",
        "words_removed": "{n} words removed",
        "no_changes": "The two versions have the same text.",
        "section_added": "new section",
        "section_removed": "section removed",
        "section_changed": "changed",
        "unchanged_sections": "Unchanged sections",
        "view": "Read",
        "diff": "Changes",
        "print": "Print-friendly: use your browser's print command.",
        "no_text_in_lang": "This version has no text in your language; it is shown in {lang}.",
        "language_name_en": "English",
        "language_name_ru": "Русский",
        "number": "No.",
        "legend_added": "added",
        "legend_removed": "removed",
    },
    "ru": {
        "cookies_title": "Файлы cookie на сайте {site}",
        "cookie_name": "Cookie",
        "cookie_provider": "Кто ставит",
        "cookie_expires": "Срок хранения",
        "cookie_purpose": "Зачем",
        "version": "Редакция",
        "effective": "Действует с",
        "published": "Опубликована",
        "summary": "Что изменилось",
        "status": "Статус",
        "current": "действующая",
        "upcoming": "вступит в силу",
        "superseded": "прежняя",
        "material": "существенное изменение",
        "languages": "Языки",
        "contents": "Содержание",
        "all_versions": "Все редакции",
        "versions_title": "Редакции политики конфиденциальности",
        "versions_lead": "Все опубликованные редакции остаются доступными. При существенном "
        "изменении посетителей снова просят дать согласие.",
        "feed": "Лента Atom",
        "upcoming_notice": "Новая редакция политики конфиденциальности (№ {number}) "
        "вступает в силу {date}",
        "see_changes": "Посмотреть изменения",
        "read_upcoming": "Читать редакцию № {number}",
        "superseded_notice": "Это редакция № {number}. Она действовала с {start}, пока её не "
        "заменила более новая редакция {end}",
        "read_current": "Читать действующую редакцию",
        "upcoming_page_notice": "Эта редакция вступает в силу {date}",
        "changes_from": "Изменения по сравнению с предыдущей редакцией",
        "diff_title": "Изменения между редакциями № {a} и № {b}",
        "diff_lead": "Удалённые слова зачёркнуты, добавленные — подчёркнуты.",
        "words_added": "добавлено слов: {n}",
        "words_removed": "удалено слов: {n}",
        "no_changes": "Тексты двух редакций совпадают.",
        "section_added": "новый раздел",
        "section_removed": "раздел удалён",
        "section_changed": "изменён",
        "unchanged_sections": "Разделы без изменений",
        "view": "Читать",
        "diff": "Изменения",
        "print": "Для печати воспользуйтесь командой печати браузера.",
        "no_text_in_lang": "У этой редакции нет текста на вашем языке; она показана на языке: "
        "{lang}.",
        "language_name_en": "English",
        "language_name_ru": "Русский",
        "number": "№",
        "legend_added": "добавлено",
        "legend_removed": "удалено",
    },
}


def ui(lang: str) -> dict[str, str]:
    return UI.get(lang, UI["en"])


def long_date(day: date, lang: str) -> str:
    if lang == "ru":
        return f"{day.day} {RU_MONTHS[day.month - 1]} {day.year} г."
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
