"""Words of /admin/policy in each staff language (English and Russian)."""

from __future__ import annotations

from typing import Final

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
        "flash_translated": "Version {number} now has its {lang} text.",
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
        "flash_translated": "У версии {number} теперь есть текст на языке «{lang}».",
    },
}

LANGUAGE_NAMES: Final = {
    "en": {"ru": "Russian", "en": "English"},
    "ru": {"ru": "русский", "en": "английский"},
}


def staff_texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])
