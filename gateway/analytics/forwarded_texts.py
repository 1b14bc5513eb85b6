"""Words of /admin/forwarded ("What Google receives") in each staff language."""

from __future__ import annotations

from typing import Final

from gateway.i18n import plural

TEXTS: Final = {
    "en": {
        "title": "What Google receives",
        "dry_run": (
            "GA_ENDPOINT is <strong>dry-run</strong>: requests are built and kept here, "
            "nothing is sent."
        ),
        "live": "Requests as sent to the Measurement Protocol.",
        "intro": (
            "Every request the forwarder sent to Google Analytics (or kept, in dry-run), exactly "
            "as its body left the gateway. The API secret travels only in the request URL and is "
            "never stored or shown."
        ),
        "filter_label": "Filter forwarded requests",
        "mode": "Mode",
        "all_modes": "all modes",
        "outcome": "Outcome",
        "all_outcomes": "all outcomes",
        "filter": "Filter",
        "intake": "At the intake",
        "event_mode": "event mode (consented)",
        "aggregated": "aggregated",
        "dropped": "dropped",
        "why_dropped": "Why the anonymizer dropped events",
        "reason": "reason",
        "events": "events",
        "none_dropped": "No event was dropped in this range.",
        "none_dropped_site": "No event was dropped in this range for this site.",
        "intake_note": "Counts per day and site; mode and outcome filters do not apply here.",
        "dead": "Dead letters",
        "dead_help": (
            "Events Google refused (or that could not be sent); they are never retried on their "
            "own. Fix the cause (e.g. the site's API secret), then retry."
        ),
        "newest": "Showing the newest {count}.",
        "retry_all": "Retry all {count} dead {noun}",
        "retry_all_site": "Retry all {count} dead {noun} of {site}",
        "admin_only": "Only an admin can put dead letters back in the queue.",
        "attempts": "attempts {count}",
        "dead_since": "dead since {when} UTC",
        "answer": "Answer:",
        "none_recorded": "(none recorded)",
        "event": "Event",
        "retry_one": "Retry #{id}",
        "no_dead": "No dead letters.",
        "no_dead_site": "No dead letters for this site.",
        "dead_dry": "In dry-run nothing is sent, so Google has refused nothing.",
        "dead_unsent": "Nothing has been sent to Google yet, so Google has refused nothing.",
        "dead_unsent_waiting": (
            "Nothing has been sent to Google yet ({count} {noun} waiting in the outbox), so "
            "Google has refused nothing."
        ),
        "dead_none_refused": "Google refused none of the {count} {noun} sent so far.",
        "requests": "Requests to Google",
        "count_line": "{count} {noun}, newest first; page {page} of {pages}.",
        "error": "Error:",
        "google_answered": "Google answered:",
        "pages": "Pages",
        "newer": "← Newer",
        "older": "Older →",
        "page_of": "Page {page} of {pages}",
        "empty_stalled": (
            "No request to Google in this range, yet {count} {noun} in the outbox, the "
            "oldest for {waited}: the forwarder (<code>gateway forward</code>) is not running or "
            "is falling behind."
        ),
        "empty_filtered": (
            "No request matches these filters in this range; the forwarder records each request "
            "it sends (or keeps) here."
        ),
        "empty_no_events": (
            "No request to Google in this range: no event reached the outbox (the intake counted "
            "nothing to forward), so there was nothing to send."
        ),
        "empty_no_events_site": (
            "No request to Google in this range: no event reached the outbox for this site (the "
            "intake counted nothing to forward), so there was nothing to send."
        ),
        "empty_waiting": (
            "No request to Google in this range yet: {count} {noun} for the forwarder's next pass."
        ),
        "empty_windows": (
            "No request to Google in this range: the events counted here were aggregated into "
            "windows that have not closed yet, or were sent on another day."
        ),
        "bad_choice": "Unknown {what} {value!r}; choose one of {choices}.",
        "what_mode": "mode",
        "what_outcome": "outcome",
        "bad_page": "The page number must be a whole number from 1 (not {value!r}).",
        "retry_bad_id": "There is no dead letter {id!r}: a dead letter's number is all digits.",
        "retry_no_site": "There is no site {site!r}; nothing was put back in the queue.",
        "retry_done": "{count} {pending}; the forwarder sends {them} on its next pass.",
        "retry_nothing_one": (
            "Nothing to retry: dead letter {id} is not among the dead letters (already "
            "retried or purged)."
        ),
        "retry_nothing_site": "Nothing to retry: site {site} has no dead letters.",
        "retry_nothing": "Nothing to retry: there are no dead letters.",
    },
    "ru": {
        "title": "Что получает Google",
        "dry_run": (
            "GA_ENDPOINT — <strong>dry-run</strong>: запросы собираются и хранятся здесь, "
            "ничего не отправляется."
        ),
        "live": "Запросы в том виде, в каком они ушли в Measurement Protocol.",
        "intro": (
            "Каждый запрос, который пересылка отправила в Google Analytics (или сохранила в "
            "пробном режиме), с телом ровно таким, каким оно ушло из шлюза. Секрет API есть "
            "только в адресе запроса и нигде не хранится и не показывается."
        ),
        "filter_label": "Отбор пересланных запросов",
        "mode": "Режим",
        "all_modes": "все режимы",
        "outcome": "Итог",
        "all_outcomes": "все итоги",
        "filter": "Показать",
        "intake": "На входе",
        "event_mode": "с согласием (события)",
        "aggregated": "агрегировано",
        "dropped": "отброшено",
        "why_dropped": "Почему анонимизатор отбросил события",
        "reason": "причина",
        "events": "событий",
        "none_dropped": "В этом периоде ни одно событие не отброшено.",
        "none_dropped_site": "В этом периоде на этом сайте ни одно событие не отброшено.",
        "intake_note": "Счёт по дням и сайтам; отбор по режиму и итогу здесь не действует.",
        "dead": "Мёртвые письма",
        "dead_help": (
            "События, которые Google отклонил (или которые не удалось отправить); сами они не "
            "повторяются. Устраните причину (например, секрет API сайта) и повторите."
        ),
        "newest": "Показаны последние {count}.",
        "retry_all": "Повторить все ({count})",
        "retry_all_site": "Повторить все ({count}) для {site}",
        "admin_only": "Вернуть мёртвые письма в очередь может только администратор.",
        "attempts": "попыток: {count}",
        "dead_since": "мёртвое с {when} UTC",
        "answer": "Ответ:",
        "none_recorded": "(не записан)",
        "event": "Событие",
        "retry_one": "Повторить №{id}",
        "no_dead": "Мёртвых писем нет.",
        "no_dead_site": "Мёртвых писем для этого сайта нет.",
        "dead_dry": "В пробном режиме ничего не отправляется, поэтому Google ничего не отклонил.",
        "dead_unsent": "В Google ещё ничего не отправлялось, поэтому он ничего не отклонил.",
        "dead_unsent_waiting": (
            "В Google ещё ничего не отправлялось ({count} {noun} в очереди), поэтому он ничего "
            "не отклонил."
        ),
        "dead_none_refused": "Google не отклонил ни одного из {count} отправленных запросов.",
        "requests": "Запросы в Google",
        "count_line": "{count} {noun}, сначала новые; страница {page} из {pages}.",
        "error": "Ошибка:",
        "google_answered": "Ответ Google:",
        "pages": "Страницы",
        "newer": "← Новее",
        "older": "Старше →",
        "page_of": "Страница {page} из {pages}",
        "empty_stalled": (
            "В этом периоде запросов в Google нет, хотя {count} {noun} в очереди, самое давнее "
            "— {waited}: пересылка (<code>gateway forward</code>) не запущена или не успевает."
        ),
        "empty_filtered": (
            "В этом периоде нет запросов, подходящих под отбор; пересылка записывает здесь каждый "
            "запрос, который отправляет (или сохраняет)."
        ),
        "empty_no_events": (
            "В этом периоде запросов в Google нет: ни одно событие не попало в очередь (на входе "
            "нечего было пересылать), так что отправлять было нечего."
        ),
        "empty_no_events_site": (
            "В этом периоде запросов в Google нет: ни одно событие этого сайта не попало в "
            "очередь (на входе нечего было пересылать), так что отправлять было нечего."
        ),
        "empty_waiting": (
            "В этом периоде запросов в Google ещё нет: {count} {noun} следующего прохода пересылки."
        ),
        "empty_windows": (
            "В этом периоде запросов в Google нет: учтённые события агрегированы в окна, которые "
            "ещё не закрылись, или отправлены в другой день."
        ),
        "bad_choice": "{what} «{value}» нет; выберите один из: {choices}.",
        "what_mode": "Режима",
        "what_outcome": "Итога",
        "bad_page": "Номер страницы — целое число от 1, а не «{value}».",
        "retry_bad_id": "Мёртвого письма «{id}» нет: номер мёртвого письма состоит из цифр.",
        "retry_no_site": "Сайта «{site}» нет; в очередь ничего не возвращено.",
        "retry_done": "{count} {pending}; пересылка отправит {them} при следующем проходе.",
        "retry_nothing_one": (
            "Повторять нечего: письма {id} нет среди мёртвых (его уже отправили повторно "
            "или удалили)."
        ),
        "retry_nothing_site": "Повторять нечего: у сайта «{site}» нет мёртвых писем.",
        "retry_nothing": "Повторять нечего: мёртвых писем нет.",
    },
}

# Nouns by number: (English one, English other, Russian one, few, many).
NOUNS: Final = {
    "letter": ("letter", "letters", "письмо", "письма", "писем"),
    "request": ("request", "requests", "запрос", "запроса", "запросов"),
    "event": ("event", "events", "событие", "события", "событий"),
    "waiting": (
        "event is waiting",
        "events are waiting",
        "событие ждёт",
        "события ждут",
        "событий ждут",
    ),
    "wait": ("event waits", "events wait", "событие ждёт", "события ждут", "событий ждут"),
    "pending": (
        "event is pending again",
        "events are pending again",
        "событие снова ждёт отправки",
        "события снова ждут отправки",
        "событий снова ждут отправки",
    ),
    "them": ("it", "them", "его", "их", "их"),
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


def noun(count: int, key: str, lang: str) -> str:
    """The word for ``count`` of ``key`` in ``lang``."""
    forms = NOUNS[key]
    if lang == "ru":
        return plural(count, (forms[2], forms[3], forms[4]), "ru")
    return plural(count, (forms[0], forms[1], forms[1]), "en")
