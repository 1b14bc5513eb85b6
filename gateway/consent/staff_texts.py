"""Words of /admin/consents in each staff language (English and Russian)."""

from __future__ import annotations

from typing import Final

STAFF_TEXTS: Final = {
    "en": {
        "title": "Consents",
        "id_help": (
            "A consent id has 16 characters in four groups, like abcd-efgh-ijkl-mnop "
            "(letters a–z and digits 2–7)."
        ),
        "bad_range": "Date range: {problem}. Showing the last 14 days instead.",
        "bad_site": "There is no site {site}. Showing all sites instead.",
        "lookup_title": "Proof of consent",
        "lookup_label": "Look up a consent",
        "consent_id": "Consent ID",
        "look_up": "Look up",
        "lookup_hint": (
            "Visitors find their consent ID in the banner's preferences; requesters give it "
            "on the contact form."
        ),
        "site": "Site",
        "now": "Now",
        "withdrawn": "withdrawn",
        "yes": "yes",
        "no": "no",
        "decisions": "Decisions",
        "decisions_last": "{count}, the last on {when} UTC",
        "chain": "Chain",
        "verifies": "verifies",
        "chain_ok": "all {count} records of the chain are intact",
        "broken": "broken",
        "chain_broken": "at record #{seq}: {problem} ({count} records verified before it)",
        "records_note": (
            "Every kept record of this consent, oldest first (<code>necessary</code> is always "
            "on). Hashes are shortened;"
        ),
        "download": "download them in full (JSON)",
        "records_label": "Records of this consent",
        "h_time": "Time (UTC)",
        "h_kind": "Kind",
        "h_source": "Source",
        "h_choices": "Choices",
        "h_policy": "Policy",
        "h_lang": "Lang",
        "h_hashes": "Hashes: text, record, previous",
        "text_hash": "text hash: what the visitor was shown",
        "no_text": "— (no text shown)",
        "record_hash": "record hash",
        "prev_hash": "hash of the previous record in the chain",
        "altered": "altered",
        "not_found": (
            "No records are kept for {id}: it was never recorded, or its records were erased "
            "on request or passed their retention period (erased and expired records keep "
            "only their place in the chain)."
        ),
        "rates_title": "Consent rate over time",
        "rates_label": "Choose dates and site",
        "from": "From",
        "to": "To",
        "all_sites": "all sites",
        "show": "Show",
        "scope": "{start} to {end} (UTC days), {site}.",
        "rates_hint": (
            "Acceptance: share of the day's decisions that granted the category; withdrawals "
            "count as refusals, GPC as a refusal of analytics. Erased and expired consents are "
            "not counted."
        ),
        "numbers": "The numbers behind the charts:",
        "table_label": "Consent decisions per day",
    },
    "ru": {
        "title": "Согласия",
        "id_help": (
            "Идентификатор согласия — 16 знаков в четырёх группах, например "
            "abcd-efgh-ijkl-mnop (буквы a–z и цифры 2–7)."
        ),
        "bad_range": "Период: {problem}. Показаны последние 14 дней.",
        "bad_site": "Сайта {site} нет. Показаны все сайты.",
        "lookup_title": "Доказательство согласия",
        "lookup_label": "Найти согласие",
        "consent_id": "Идентификатор согласия",
        "look_up": "Найти",
        "lookup_hint": (
            "Посетитель видит идентификатор в настройках баннера; заявитель указывает его "
            "в форме обращения."
        ),
        "site": "Сайт",
        "now": "Сейчас",
        "withdrawn": "отозвано",
        "yes": "да",
        "no": "нет",
        "decisions": "Решения",
        "decisions_last": "{count}, последнее {when} UTC",
        "chain": "Цепочка",
        "verifies": "сходится",
        "chain_ok": "все {count} записей цепочки целы",
        "broken": "нарушена",
        "chain_broken": "на записи №{seq}: {problem} (до неё проверено записей: {count})",
        "records_note": (
            "Все хранимые записи этого согласия, от старых к новым (<code>necessary</code> "
            "всегда включено). Хеши сокращены;"
        ),
        "download": "скачать полностью (JSON)",
        "records_label": "Записи этого согласия",
        "h_time": "Время (UTC)",
        "h_kind": "Вид",
        "h_source": "Источник",
        "h_choices": "Выбор",
        "h_policy": "Политика",
        "h_lang": "Язык",
        "h_hashes": "Хеши: текста, записи, предыдущей",
        "text_hash": "хеш текста, который видел посетитель",
        "no_text": "— (текст не показан)",
        "record_hash": "хеш записи",
        "prev_hash": "хеш предыдущей записи цепочки",
        "altered": "изменена",
        "not_found": (
            "По {id} записей не хранится: согласие не записывалось, либо его записи удалены "
            "по запросу или по истечении срока хранения (от удалённых и истёкших записей "
            "остаётся только место в цепочке)."
        ),
        "rates_title": "Доля согласий по времени",
        "rates_label": "Период и сайт",
        "from": "С",
        "to": "По",
        "all_sites": "все сайты",
        "show": "Показать",
        "scope": "С {start} по {end} (дни по UTC), {site}.",
        "rates_hint": (
            "Доля согласий: часть решений дня, разрешивших категорию; отзыв считается отказом, "
            "GPC — отказом от аналитики. Удалённые и истёкшие согласия не учитываются."
        ),
        "numbers": "Числа, по которым построены графики:",
        "table_label": "Решения о согласии по дням",
    },
}


def staff_texts(lang: str) -> dict[str, str]:
    return STAFF_TEXTS.get(lang, STAFF_TEXTS["en"])
