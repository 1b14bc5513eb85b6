"""Words of /admin/policy in each staff language (English and Russian)."""

from __future__ import annotations

from typing import Final

from gateway.i18n import plural
from gateway.policy.publishing import PublishError

TEXTS: Final = {
    "en": {
        "title": "Privacy policy",
        "tab": "Policy",
        "versions": "Versions",
        "h_effective": "Effective",
        "h_status": "Status",
        "h_languages": "Languages",
        "h_material": "Material",
        "h_summary": "Summary",
        "h_published": "Published (UTC)",
        "material": "material",
        "no": "no",
        "missing_text": "no {language} text or summary yet",
        "read": "read",
        "diff_with": "diff with {number}",
        "cancel": "Cancel version {number}",
        "versions_note": (
            "A published version is never edited. An announced version can be cancelled until it "
            "takes effect (the newest first); it is kept on record, and readers no longer see it."
        ),
        "add_translation": "Add a translation",
        "translation_not_added": (
            "The translation was not added: see the message beside the field. Nothing you typed "
            "was lost."
        ),
        "version": "Version",
        "missing": "missing {codes}",
        "language": "Language",
        "t_summary": "Summary in this language",
        "t_text": "Text (Markdown, <code># Title</code> first)",
        "t_button": "Add the translation",
        "publish_title": "Publish version {number}",
        "not_published": (
            "The version was not published: see the messages beside the fields. Nothing you "
            "typed was lost."
        ),
        "not_previewed": (
            "The version was not previewed: see the messages beside the fields. Nothing you "
            "typed was lost."
        ),
        "effective": "Effective date",
        "summary": "Summary",
        "summary_hint": (
            "One sentence saying what changed, in the text's language. Readers see it in the "
            "feed and in change notices."
        ),
        "material_check": (
            "Material change: visitors are asked for consent again once it takes effect"
        ),
        "text": "Text (Markdown)",
        "text_hint": "A first line <code># Title</code> becomes the title. Write",
        "text_hint_2": "where the contact address belongs; give headings stable anchors",
        "anchor_example": "## 4. Your data {#s4}",
        "base_hint": (
            "Version {number}'s text (the latest{upcoming}) is filled in to start from, so "
            "nothing it changed is undone."
        ),
        "not_in_force": ", not yet in force",
        "preview": "Preview",
        "preview_title": "Preview of version {number}",
        "takes_effect": "Takes effect",
        "changes_against": "Changes against version {number} ({lang})",
        "added": "added",
        "removed": "removed",
        "words": "{inserted} words added · {deleted} words removed",
        "same_text": (
            "The text is the same as version {number}'s. Publishing it would only change the "
            "date and summary."
        ),
        "publish": "Publish version {number}",
        "read_first": "or read the whole text below first.",
        "as_readers": "As readers will see it: {title}",
        "final": "Published versions cannot be edited or withdrawn.",
        "flash_published": "Published version {number} ({kind}); it takes effect {when}.",
        "kind_material": "a material change: visitors are asked again",
        "kind_plain": "not material",
        "when_today": "today",
        "when_on": "on {date}",
        "flash_not_cancelled": "Version {number} was not cancelled: {problem}.",
        "flash_cancelled": (
            "Version {number} is cancelled: it will not take effect, and readers no longer see it."
        ),
        "flash_translated": "Version {number} now has its {language} text.",
    },
    "ru": {
        "title": "Политика конфиденциальности",
        "tab": "Политика",
        "versions": "Версии",
        "h_effective": "Вступает в силу",
        "h_status": "Статус",
        "h_languages": "Языки",
        "h_material": "Существенная",
        "h_summary": "Кратко",
        "h_published": "Опубликована (UTC)",
        "material": "существенная",
        "no": "нет",
        "missing_text": "текста и краткого описания на языке «{language}» пока нет",
        "read": "читать",
        "diff_with": "сравнить с {number}",
        "cancel": "Отменить версию {number}",
        "versions_note": (
            "Опубликованная версия не редактируется. Объявленную версию можно отменить до "
            "вступления в силу (начиная с новейшей); она остаётся в записях, но читатели её "
            "больше не видят."
        ),
        "add_translation": "Добавить перевод",
        "translation_not_added": (
            "Перевод не добавлен: см. сообщение у поля. Всё введённое сохранено."
        ),
        "version": "Версия",
        "missing": "нет: {codes}",
        "language": "Язык",
        "t_summary": "Краткое описание на этом языке",
        "t_text": "Текст (Markdown, первой строкой <code># Заголовок</code>)",
        "t_button": "Добавить перевод",
        "publish_title": "Опубликовать версию {number}",
        "not_published": (
            "Версия не опубликована: см. сообщения у полей. Всё введённое сохранено."
        ),
        "not_previewed": (
            "Предпросмотр не построен: см. сообщения у полей. Всё введённое сохранено."
        ),
        "effective": "Дата вступления в силу",
        "summary": "Краткое описание",
        "summary_hint": (
            "Одно предложение о том, что изменилось, на языке текста. Читатели видят его в ленте "
            "и в уведомлениях об изменениях."
        ),
        "material_check": (
            "Существенное изменение: после вступления в силу посетителей снова спросят о согласии"
        ),
        "text": "Текст (Markdown)",
        "text_hint": "Первая строка <code># Заголовок</code> становится заголовком. Пишите",
        "text_hint_2": "там, где нужен контактный адрес; давайте заголовкам постоянные якоря",
        "anchor_example": "## 4. Ваши данные {#s4}",
        "base_hint": (
            "Для начала подставлен текст версии {number} (последней{upcoming}), чтобы ничего из "
            "её изменений не потерялось."
        ),
        "not_in_force": ", ещё не действующей",
        "preview": "Предпросмотр",
        "preview_title": "Предпросмотр версии {number}",
        "takes_effect": "Вступает в силу",
        "changes_against": "Изменения относительно версии {number} ({lang})",
        "added": "добавлено",
        "removed": "удалено",
        "words": "слов добавлено: {inserted} · слов удалено: {deleted}",
        "same_text": (
            "Текст совпадает с текстом версии {number}. Публикация изменит только дату и "
            "краткое описание."
        ),
        "publish": "Опубликовать версию {number}",
        "read_first": "или сначала прочтите весь текст ниже.",
        "as_readers": "Как увидят читатели: {title}",
        "final": "Опубликованные версии нельзя изменить или отозвать.",
        "flash_published": "Версия {number} опубликована ({kind}); вступает в силу {when}.",
        "kind_material": "существенное изменение: посетителей спросят снова",
        "kind_plain": "несущественное изменение",
        "when_today": "сегодня",
        "when_on": "{date}",
        "flash_not_cancelled": "Версия {number} не отменена: {problem}.",
        "flash_cancelled": (
            "Версия {number} отменена: она не вступит в силу, и читатели её больше не видят."
        ),
        "flash_translated": "У версии {number} теперь есть {language} текст.",
    },
}

LANGUAGE_NAMES: Final = {
    "en": {"ru": "Russian", "en": "English"},
    "ru": {"ru": "русский", "en": "английский"},
}


# Why a version or translation was refused, by PublishError code: the web page's
# words (the command line prints the exception's own English message).
PROBLEMS: Final = {
    "en": {
        "date_format": "effective date {value!r} is not a date like 2026-03-01 (YYYY-MM-DD)",
        "date_unreal": "effective date {value!r} is not a real date: there is no such day",
        "effective_missing": "Choose the date this version takes effect.",
        "language": "language {lang!r} is not supported; use one of {choices}",
        "text_unstorable": (
            "the policy text contains a NUL character (\\x00) or a lone surrogate; remove it"
        ),
        "text_nul": "the text contains a NUL character (\\x00); remove it",
        "text_empty": "the policy text is empty",
        "text_long": "the policy text is longer than {limit} {chars}",
        "title_long": "the title (first '# ' line) is longer than {limit} {chars}",
        "summary_unstorable": (
            "the summary contains a NUL character (\\x00) or a lone surrogate; remove it"
        ),
        "summary_nul": "the summary contains a NUL character (\\x00); remove it",
        "summary_missing": "Say in one sentence what changed; readers see it in the feed.",
        "translation_summary_missing": (
            "Give the summary in this language; readers see it in notices."
        ),
        "summary_long": "the summary is longer than {limit} {chars}",
        "before_current": (
            "effective date {effective} is earlier than that of the current version {number} "
            "({since})"
        ),
        "past": (
            "effective date {effective} is in the past (today is {today}); a policy change "
            "cannot take effect retroactively"
        ),
        "before_latest": (
            "effective date {effective} is earlier than that of version {number} ({since}), "
            "which is already published; versions take effect in the order they are published"
        ),
        "number_missing": "Choose the version this text translates.",
        "no_version": "there is no version {number}",
        "superseded": (
            "version {number} is superseded; translations can be added only to the current "
            "version or to an upcoming one"
        ),
        "translated": (
            "version {number} already has its {language} text; a published text is never "
            "edited: publish a new version to change it"
        ),
        "no_version_to_cancel": (
            "there is no version {number} to cancel (it never existed or is already cancelled)"
        ),
        "in_force": "it has been in force since {since}; publish a new version instead",
        "later_announced": "version {later} is announced after it; cancel version {later} first",
    },
    "ru": {
        "date_format": (
            "дата вступления в силу «{value}» записана не как дата вида 2026-03-01 (ГГГГ-ММ-ДД)"
        ),
        "date_unreal": "даты вступления в силу «{value}» не бывает: такого дня нет в календаре",
        "effective_missing": "Выберите дату, когда версия вступит в силу.",
        "language": "язык «{lang}» не поддерживается; выберите один из: {choices}",
        "text_unstorable": (
            "в тексте политики есть символ NUL (\\x00) или одиночный суррогат; удалите его"
        ),
        "text_nul": "в тексте есть символ NUL (\\x00); удалите его",
        "text_empty": "текст политики пуст",
        "text_long": "текст политики длиннее {limit} {chars}",
        "title_long": "заголовок (первая строка «# ») длиннее {limit} {chars}",
        "summary_unstorable": (
            "в кратком описании есть символ NUL (\\x00) или одиночный суррогат; удалите его"
        ),
        "summary_nul": "в кратком описании есть символ NUL (\\x00); удалите его",
        "summary_missing": (
            "Напишите одним предложением, что изменилось; читатели увидят это в ленте."
        ),
        "translation_summary_missing": (
            "Напишите краткое описание на этом языке; читатели видят его в уведомлениях."
        ),
        "summary_long": "краткое описание длиннее {limit} {chars}",
        "before_current": (
            "дата вступления в силу {effective} раньше, чем у действующей версии {number} ({since})"
        ),
        "past": (
            "дата вступления в силу {effective} уже прошла (сегодня {today}); изменение "
            "политики не может вступить в силу задним числом"
        ),
        "before_latest": (
            "дата вступления в силу {effective} раньше, чем у уже опубликованной версии "
            "{number} ({since}); версии вступают в силу в том порядке, в каком опубликованы"
        ),
        "number_missing": "Выберите версию, которую переводит этот текст.",
        "no_version": "версии {number} нет",
        "superseded": (
            "версия {number} уже сменилась более новой; перевод можно добавить только к "
            "действующей или к объявленной версии"
        ),
        "translated": (
            "у версии {number} уже есть {language} текст; опубликованный текст не "
            "редактируется: чтобы изменить его, опубликуйте новую версию"
        ),
        "no_version_to_cancel": "версии {number} нет: её не было или она уже отменена",
        "in_force": "она действует с {since}; вместо отмены опубликуйте новую версию",
        "later_announced": "после неё объявлена версия {later}; сначала отмените версию {later}",
    },
}
# "longer than N characters": the genitive after a comparative.
CHARACTERS: Final = {
    "en": ("character", "characters", "characters"),
    "ru": ("символа", "символов", "символов"),
}


def staff_texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


def language_name(code: str, lang: str) -> str:
    """A text language as an adjective of ``lang``: "Russian", "русский"."""
    return LANGUAGE_NAMES["ru" if lang == "ru" else "en"].get(code, code)


def problem_text(exc: PublishError, lang: str) -> str:
    """Why the version or translation was refused, in ``lang``, as the check put it
    (a clause, or a sentence for what the form itself asks); the English message
    of a check this table does not know."""
    lang = "ru" if lang == "ru" else "en"
    template = PROBLEMS[lang].get(exc.code)
    if template is None:
        return str(exc)
    params = dict(exc.params)
    limit = int(str(params.get("limit", 0)))
    if lang == "ru":
        params["limit"] = f"{limit:,}".replace(",", "\u00a0")
    params["chars"] = plural(limit, CHARACTERS[lang], lang)
    if "lang" in params:
        params["language"] = language_name(str(params["lang"]), lang)
    return template.format(**params)


def problem_sentence(exc: PublishError, lang: str) -> str:
    """The problem as a sentence beside a field: capital first, full stop at the end."""
    text = problem_text(exc, lang)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
