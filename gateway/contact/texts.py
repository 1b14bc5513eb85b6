"""Words of the contact face in Russian and English (pages and e-mails)."""

from __future__ import annotations

from datetime import date
from typing import Final

from babel.dates import format_date as babel_format_date

from gateway.contact.deadlines import DueExplanation, day_off_name

# Dates as people write them: "2 февраля 2026 г.", "2 February 2026".
DATE_LOCALES: Final = {"ru": "ru_RU", "en": "en_GB"}

TYPE_LABELS: Final = {
    "ru": {
        "access": "Копия моих персональных данных",
        "rectify": "Исправить мои данные",
        "erase": "Удалить мои данные",
        "withdraw-consent": "Отозвать согласие",
        "refund": "Возврат средств",
        "question": "Вопрос",
        "other": "Другое",
    },
    "en": {
        "access": "A copy of my personal data",
        "rectify": "Correct my data",
        "erase": "Delete my data",
        "withdraw-consent": "Withdraw consent",
        "refund": "Refund",
        "question": "Question",
        "other": "Other",
    },
}

STATUS_LABELS: Final = {
    "ru": {
        "unverified": "ожидает подтверждения адреса",
        "open": "открыт",
        "in_progress": "в работе",
        "waiting": "ждём ваш ответ",
        "completed": "выполнен",
        "rejected": "отклонён",
    },
    "en": {
        "unverified": "waiting for e-mail confirmation",
        "open": "open",
        "in_progress": "in progress",
        "waiting": "waiting for requester",
        "completed": "completed",
        "rejected": "rejected",
    },
}

TEXTS: Final = {
    "ru": {
        "title": "Связаться с нами",
        "intro": (
            "Запросы о ваших персональных данных, возврат средств и любые вопросы. "
            "Мы пришлём письмо для подтверждения адреса; срок ответа начинается после "
            "подтверждения."
        ),
        "email": "Электронная почта",
        "email_hint": "Сюда придёт письмо для подтверждения и наш ответ.",
        "name": "Имя",
        "request_type": "Тип запроса",
        "message": "Сообщение",
        "contract_number": "Номер договора",
        "service_date": "Дата оказания услуги",
        "service_date_hint": "Возврат возможен в течение 2 рабочих дней с этой даты (§6).",
        "consent_id": "Идентификатор согласия (необязательно)",
        "consent_id_hint": "Показан в настройках cookie-баннера на сайте.",
        "honeypot": "Оставьте это поле пустым",
        "submit": "Отправить",
        "required": "Обязательное поле.",
        "bad_email": "Введите адрес электронной почты, например name@example.ru.",
        "too_long": "Не длиннее {max} символов.",
        "bad_type": "Выберите тип запроса.",
        "bad_date": "Введите дату в формате ГГГГ-ММ-ДД.",
        "future_date": "Дата не может быть позже сегодняшней.",
        "bad_consent_id": (
            "Идентификатор согласия — 16 латинских букв и цифр, например abcd-efgh-ijkl-mnop "
            "(регистр и дефисы не важны). Он показан в настройках cookie-баннера."
        ),
        "message_required": "Опишите, пожалуйста, ваш запрос.",
        "too_fast": ("Форма отправлена слишком быстро. Проверьте данные и отправьте ещё раз."),
        "csrf": (
            "Срок действия формы истёк. Мы сохранили введённые данные — отправьте форму ещё раз."
        ),
        "errors_above": "Исправьте отмеченные поля.",
        "rate_limited": (
            "Слишком много отправок с вашего адреса: форма не отправлена. "
            "Введённый текст сохранён ниже — отправьте его ещё раз {when}."
        ),
        "sent_title": "Проверьте почту",
        "sent_body": (
            "Мы отправили письмо на указанный вами адрес. Откройте ссылку в письме в течение "
            "7 дней и подтвердите запрос — только после этого мы начнём работу над ним. "
            "Ссылку на страницу статуса запроса мы присылаем только по почте: так "
            "переписку по запросу видит лишь владелец ящика."
        ),
        "sent_spam": "Письма нет? Проверьте папку «Спам» или отправьте запрос ещё раз.",
        "verify_title": "Подтвердите запрос №{id}",
        "verify_body": (
            "Запрос «{type}» от {received}. Нажмите кнопку, чтобы подтвердить, что адрес "
            "{email} принадлежит вам и запрос отправили вы."
        ),
        "verify_button": "Подтвердить запрос",
        "verify_done": (
            "Этот запрос уже подтверждён. Ссылку на страницу статуса мы отправили вам письмом."
        ),
        "status_expired": (
            "Срок действия ссылки на страницу статуса истёк (ссылки действуют {days} дней)."
        ),
        "fresh_button": "Прислать новую ссылку на почту",
        "fresh_sent": (
            "Если запрос ещё хранится, новая ссылка придёт на адрес, с которого он отправлен."
        ),
        "data_title": "Ваши данные",
        "data_body": (
            "Всё, что шлюз хранит о вас, можно скачать до {until} включительно: "
            "в формате JSON (для программ) или CSV (для таблиц)."
        ),
        "data_expired": "Срок скачивания данных истёк {until}. Отправьте новый запрос, если нужно.",
        "data_json": "Скачать JSON",
        "data_csv": "Скачать CSV",
        "data_link_expired": (
            "Ссылка на скачивание устарела. Откройте страницу статуса по ссылке из письма."
        ),
        "links_title": "Ссылки на ваши запросы",
        "links_intro": (
            "Потеряли письмо со ссылкой? Укажите адрес, с которого отправляли запрос: мы "
            "пришлём на него ссылки на страницы статуса всех подтверждённых запросов."
        ),
        "links_submit": "Прислать ссылки",
        "links_sent": (
            "Если по этому адресу есть подтверждённые запросы, ссылки на них уже отправлены "
            "на него."
        ),
        "links_lost": "Потеряли ссылку на свой запрос?",
        "mail_links_subject": "Ссылки на ваши запросы в HotTelecom",
        "mail_links_body": "Вы попросили ссылки на ваши запросы. Они действуют {days} дней:",
        "mail_links_item": "Запрос №{id} «{type}» — {status}",
        "mail_greeting": "Здравствуйте!",
        "mail_greeting_name": "Здравствуйте, {name}!",
        "mail_signature": "С уважением,\nслужба защиты персональных данных HotTelecom",
        "mail_fresh_subject": "Новая ссылка на запрос №{id}",
        "mail_fresh_body": (
            "Вы попросили новую ссылку на страницу статуса запроса №{id}. "
            "Она действует {days} дней:"
        ),
        "mail_fresh_ignore": (
            "Если вы не просили ссылку, просто проигнорируйте письмо: без неё запрос "
            "никто не увидит."
        ),
        "mail_extended": "Срок ответа продлён до {due}. Причина: {reason}",
        "mail_data_ready": (
            "Ваши данные готовы: скачайте их на странице статуса до {until} включительно "
            "(JSON и CSV)."
        ),
        "rule_30d": "30 календарных дней со дня получения запроса (политика, §4)",
        "rule_152fz": (
            "10 рабочих дней со дня получения запроса (152-ФЗ, ст. 20; продлевается один раз "
            "на 5 рабочих дней с объяснением причины)"
        ),
        "due_rule": "Срок: {rule}.",
        "due_moved": (
            "Тридцатый день, {nominal}, — нерабочий: {why}. По ст. 193 ГК РФ срок "
            "переносится на ближайший рабочий день, {due}."
        ),
        "due_skipped": "Нерабочие дни не считаются ({count}: {names}).",
        "weekend": "выходные",
        "weekend_day": "выходной день",
        "status_link": "Страница статуса запроса",
        "status_title": "Запрос №{id}",
        "type": "Тип",
        "status": "Статус",
        "due": "Срок ответа",
        "due_pending": "назначается после подтверждения адреса",
        "received": "Получен",
        "history": "Переписка",
        "no_history": "Ответов пока нет.",
        "from_staff": "HotTelecom",
        "from_you": "Вы",
        "refund_in": "Запрос подан в пределах срока возврата (2 рабочих дня, §6).",
        "refund_out": (
            "Запрос подан за пределами срока возврата (2 рабочих дня, §6); "
            "мы всё равно рассмотрим его."
        ),
        "verified_now": "Адрес подтверждён. Мы ответим до {due}.",
        "already_verified": "Адрес уже подтверждён ранее.",
        "link_expired": ("Ссылка устарела (она действует 7 дней). Отправьте запрос ещё раз."),
        "link_invalid": "Ссылка недействительна. Проверьте, что она скопирована полностью.",
        "not_found": "Запрос не найден. Возможно, он удалён по истечении срока хранения.",
        "reply_label": "Ваш ответ",
        "reply_submit": "Отправить ответ",
        "reply_sent": "Ответ отправлен.",
        "no_answers": "Этот запрос закрыт или ещё не подтверждён; ответить на него нельзя.",
        "extended": "Срок продлён: {reason}",
        "erased": "Данные по этому запросу удалены.",
        "csrf_title": "Форма устарела",
        "csrf_body": (
            "Страница была открыта слишком давно или cookie отключены. "
            "Вернитесь назад, обновите страницу и отправьте форму ещё раз."
        ),
        "back": "Вернуться к форме",
        "mail_verify_subject": "Подтвердите запрос №{id}",
        "mail_verify_body": (
            "Мы получили ваш запрос «{type}». Чтобы подтвердить, что "
            "адрес принадлежит вам, перейдите по ссылке (она действует 7 дней):"
        ),
        "mail_verify_ignore": "Если вы не отправляли запрос, просто проигнорируйте это письмо.",
        "mail_status_subject": "Запрос №{id}: {status}",
        "mail_status_body": "Статус вашего запроса «{type}»: {status}.",
        "mail_reply_subject": "Ответ на запрос №{id}",
        "mail_status_link": "Статус и переписка:",
        "mail_due": "Срок ответа: {due}.",
        "mail_reason": "Причина: {reason}",
    },
    "en": {
        "title": "Contact us",
        "intro": (
            "Requests about your personal data, refunds and any questions. We will send "
            "you an e-mail to confirm your address; the response time starts once it is "
            "confirmed."
        ),
        "email": "E-mail",
        "email_hint": "We send the confirmation link and our answer here.",
        "name": "Name",
        "request_type": "Request type",
        "message": "Message",
        "contract_number": "Contract number",
        "service_date": "Date the service was provided",
        "service_date_hint": "Refunds can be asked within 2 working days of this date (§6).",
        "consent_id": "Consent ID (optional)",
        "consent_id_hint": "Shown in the cookie banner's preferences on the site.",
        "honeypot": "Leave this field empty",
        "submit": "Send",
        "required": "This field is required.",
        "bad_email": "Enter an e-mail address such as name@example.com.",
        "too_long": "At most {max} characters.",
        "bad_type": "Choose a request type.",
        "bad_date": "Enter a date as YYYY-MM-DD.",
        "future_date": "The date cannot be later than today.",
        "bad_consent_id": (
            "A consent ID has 16 letters and digits, such as abcd-efgh-ijkl-mnop (case and "
            "dashes do not matter). The cookie banner's preferences show it."
        ),
        "message_required": "Please describe your request.",
        "too_fast": "The form was sent very quickly. Please check it and send it again.",
        "csrf": "The form had expired. We kept what you typed: please send it again.",
        "errors_above": "Please correct the marked fields.",
        "rate_limited": (
            "Too many submissions from your address: this one was not sent. "
            "What you typed is kept below; please send it again {when}."
        ),
        "sent_title": "Check your e-mail",
        "sent_body": (
            "We have sent an e-mail to the address you entered. Open the link in it within "
            "7 days and confirm the request; we start working on it only then. The link to "
            "the request's status page travels only by e-mail, so only the owner of the "
            "mailbox sees what is written on it."
        ),
        "sent_spam": "No e-mail? Look in the spam folder, or send the request again.",
        "verify_title": "Confirm request #{id}",
        "verify_body": (
            'Request "{type}" of {received}. Press the button to confirm that the address '
            "{email} is yours and that you sent this request."
        ),
        "verify_button": "Confirm the request",
        "verify_done": (
            "This request is already confirmed. We sent you the link to its status page by e-mail."
        ),
        "status_expired": "This status link has expired (status links last {days} days).",
        "fresh_button": "E-mail me a fresh link",
        "fresh_sent": (
            "If the request is still kept, a fresh link is on its way to the address it was "
            "sent from."
        ),
        "data_title": "Your data",
        "data_body": (
            "Everything the gateway holds about you can be downloaded until {until}: as JSON "
            "(for programs) or CSV (for spreadsheets)."
        ),
        "data_expired": "The download period ended on {until}. Send a new request if you need it.",
        "data_json": "Download JSON",
        "data_csv": "Download CSV",
        "data_link_expired": (
            "This download link has expired. Open the status page from the link in your e-mail."
        ),
        "links_title": "Links to your requests",
        "links_intro": (
            "Lost the e-mail with the link? Enter the address you sent the request from: we "
            "will mail it the status links of all its confirmed requests."
        ),
        "links_submit": "Send me the links",
        "links_sent": (
            "If this address has confirmed requests, their links are on their way to it."
        ),
        "links_lost": "Lost the link to your request?",
        "mail_links_subject": "Links to your HotTelecom requests",
        "mail_links_body": "You asked for the links to your requests. They work for {days} days:",
        "mail_links_item": 'Request #{id} "{type}": {status}',
        "mail_greeting": "Hello,",
        "mail_greeting_name": "Dear {name},",
        "mail_signature": "Kind regards,\nHotTelecom data protection team",
        "mail_fresh_subject": "A fresh link to request #{id}",
        "mail_fresh_body": (
            "You asked for a fresh link to the status page of request #{id}. It works for "
            "{days} days:"
        ),
        "mail_fresh_ignore": (
            "If you did not ask for it, ignore this e-mail: without the link nobody sees the "
            "request."
        ),
        "mail_extended": "The answer is now due by {due}. Reason: {reason}",
        "mail_data_ready": (
            "Your data is ready: download it from the status page until {until} (JSON and CSV)."
        ),
        "rule_30d": "30 calendar days from receipt of the request (policy §4)",
        "rule_152fz": (
            "10 working days from receipt of the request (152-FZ art. 20; extendable once by "
            "5 working days, with the reason given)"
        ),
        "due_rule": "Deadline: {rule}.",
        "due_moved": (
            "The 30th day, {nominal}, is a day off: {why}. Under Civil Code art. 193 the term "
            "moves to the next working day, {due}."
        ),
        "due_skipped": "Days off are not counted ({count}: {names}).",
        "weekend": "weekends",
        "weekend_day": "a weekend day",
        "status_link": "Request status page",
        "status_title": "Request #{id}",
        "type": "Type",
        "status": "Status",
        "due": "Answer due by",
        "due_pending": "set once your address is confirmed",
        "received": "Received",
        "history": "Replies",
        "no_history": "No replies yet.",
        "from_staff": "HotTelecom",
        "from_you": "You",
        "refund_in": "Asked within the refund window (2 working days, §6).",
        "refund_out": (
            "Asked outside the refund window (2 working days, §6); we will still review it."
        ),
        "verified_now": "Your address is confirmed. We will answer by {due}.",
        "already_verified": "Your address was already confirmed.",
        "link_expired": (
            "This link has expired (links last 7 days). Please send your request again."
        ),
        "link_invalid": "This link is not valid. Check that it was copied completely.",
        "not_found": "Request not found. It may have been deleted after its retention period.",
        "reply_label": "Your answer",
        "reply_submit": "Send answer",
        "reply_sent": "Your answer was sent.",
        "no_answers": "This request is closed or not yet confirmed; it takes no answers.",
        "extended": "Deadline extended: {reason}",
        "erased": "The data of this request was erased.",
        "csrf_title": "This form has expired",
        "csrf_body": (
            "The page was open for too long, or cookies are disabled. Go back, reload "
            "the page and send the form again."
        ),
        "back": "Back to the form",
        "mail_verify_subject": "Confirm your request #{id}",
        "mail_verify_body": (
            'We received your request "{type}". To confirm that this address '
            "is yours, open this link (valid for 7 days):"
        ),
        "mail_verify_ignore": "If you did not send this request, ignore this e-mail.",
        "mail_status_subject": "Request #{id}: {status}",
        "mail_status_body": 'The status of your request "{type}" is now: {status}.',
        "mail_reply_subject": "Reply to your request #{id}",
        "mail_status_link": "Status and replies:",
        "mail_due": "Answer due by {due}.",
        "mail_reason": "Reason: {reason}",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


def type_label(lang: str, request_type: str) -> str:
    return TYPE_LABELS.get(lang, TYPE_LABELS["en"]).get(request_type, request_type)


def status_label(lang: str, status: str) -> str:
    return STATUS_LABELS.get(lang, STATUS_LABELS["en"]).get(status, status)


# Short names for the staff pages.
STAFF_TYPE_LABELS: Final = {
    "access": "Access",
    "rectify": "Rectification",
    "erase": "Erasure",
    "withdraw-consent": "Consent withdrawal",
    "refund": "Refund",
    "question": "Question",
    "other": "Other",
}
STAFF_TYPE_LABELS_RU: Final = {
    "access": "Доступ к данным",
    "rectify": "Исправление",
    "erase": "Удаление",
    "withdraw-consent": "Отзыв согласия",
    "refund": "Возврат средств",
    "question": "Вопрос",
    "other": "Другое",
}


STAFF_STATUS_LABELS_RU: Final = {
    "unverified": "адрес не подтверждён",
    "open": "открыт",
    "in_progress": "в работе",
    "waiting": "ждём ответа заявителя",
    "completed": "выполнен",
    "rejected": "отклонён",
}


def staff_status_labels(lang: str) -> dict[str, str]:
    """Request statuses as the staff pages name them, in the staff member's language."""
    return dict(STAFF_STATUS_LABELS_RU if lang == "ru" else STATUS_LABELS["en"])


def staff_type_labels(lang: str) -> dict[str, str]:
    """Request types as the staff pages name them, in the staff member's language."""
    return dict(STAFF_TYPE_LABELS_RU if lang == "ru" else STAFF_TYPE_LABELS)


def format_date(day: date, lang: str) -> str:
    # "d MMMM y": "8 января 2027", "8 January 2027" (no "г." to clash with a full stop).
    return str(babel_format_date(day, "d MMMM y", locale=DATE_LOCALES.get(lang, "en_GB")))


def explain_due_text(explanation: DueExplanation, lang: str) -> list[str]:
    """The rule in force and why the date falls where it does, as sentences."""
    t = texts(lang)
    rule = t["rule_30d"] if explanation.rule == "30d" else t["rule_152fz"]
    lines = [t["due_rule"].format(rule=rule)]
    if explanation.rule == "30d" and explanation.moved:
        why = day_off_name(explanation.nominal, lang) or t["weekend_day"]
        lines.append(
            t["due_moved"].format(
                nominal=format_date(explanation.nominal, lang),
                why=why,
                due=format_date(explanation.due, lang),
            )
        )
    elif explanation.rule != "30d" and explanation.days_off:
        names: list[str] = []
        for day in explanation.days_off:
            name = day_off_name(day, lang)
            if name and name not in names:
                names.append(name)
        count = len(explanation.days_off)
        lines.append(t["due_skipped"].format(count=count, names="; ".join(names) or t["weekend"]))
    return lines


# Staff-facing words of the contact face (the queue, the request card, its actions).
STAFF_TEXTS: Final = {
    "ru": {
        "bad_consent_id": (
            "Идентификатор согласия — 16 букв и цифр, например abcd-efgh-ijkl-mnop "
            "(регистр и дефисы не важны)."
        ),
        "not_withdrawal": "Отозвать согласие можно только по запросу об отзыве согласия.",
        "withdraw_withdrawn": "Отзыв согласия {id} записан в журнал согласий.",
        "withdraw_already withdrawn": "Согласие {id} уже было отозвано: запрос можно выполнить.",
        "withdraw_not found": (
            "По согласию {id} ничего не хранится: отзывать нечего. Уточните идентификатор у "
            "заявителя или отклоните запрос с объяснением."
        ),
        "withdraw_first": (
            "Сначала запишите отзыв согласия (кнопка «Отозвать согласие»): запрос об отзыве "
            "выполнен, только когда согласие отозвано."
        ),
        "erase_first": (
            "Запрос на удаление выполняется кнопкой «Удалить данные»: отметить его выполненным, "
            "не удалив данные, нельзя."
        ),
        "completed": "Запрос выполнен; заявитель получил письмо.",
        "completed_access": (
            "Запрос выполнен: заявитель получил письмо и может скачать свои данные "
            "на странице статуса."
        ),
        "withdraw_title": "Отозвать согласие",
        "withdraw_help": (
            "Записывает отзыв в журнал согласий (источник «staff»). Идентификатор можно "
            "исправить, если заявитель уточнил его."
        ),
        "withdraw_button": "Отозвать согласие",
        "withdrawal_state": "Согласие в журнале",
        "withdrawal_withdrawn": "отозвано",
        "withdrawal_granted": "действует — ещё не отозвано",
        "withdrawal_unknown": "не найдено",
        "withdrawal_none": "заявитель не указал идентификатор",
        "erase_title": "Удалить данные",
        "erase_warning": (
            "Необратимо: все данные заявителя (запросы, переписка, согласия с его "
            "подтверждёнными идентификаторами) будут удалены. Останется только "
            "обезличенная запись о выполнении и история действий без персональных данных."
        ),
        "erase_confirm": "Я проверил(а) личность заявителя и удаляю его данные безвозвратно",
        "erase_button": "Удалить данные безвозвратно",
        "deadline": "Срок",
        "data_label": "Выдача данных",
        "data_until": "Данные доступны заявителю до {until}",
        "data_downloads": "скачиваний: {count}",
        "queue_title": "Обращения субъектов данных",
        "queue_tab": "Обращения",
        "filter_label": "Отбор обращений",
        "status": "Статус",
        "active_statuses": "активные (открыт, в работе, ждут)",
        "all": "все",
        "type": "Тип",
        "all_types": "все типы",
        "filter": "Показать",
        "count_line": "{count} {noun}, сначала с ближайшим сроком. Сегодня (по Москве): {today}.",
        "h_due": "Срок",
        "h_requester": "Заявитель",
        "h_assignee": "Исполнитель",
        "h_received": "Получен",
        "overdue": "просрочен",
        "erased": "(удалено)",
        "none_match": "Подходящих обращений нет.",
        "card_title": "Обращение №{id}",
        "all_requests": "← Все обращения",
        "h_due_card": "Срок",
        "extended": "продлён: {reason}",
        "due_unset": "назначится после подтверждения адреса",
        "language": "Язык",
        "received": "Получено",
        "confirmed": "Подтверждено",
        "not_yet": "ещё нет",
        "contract": "Договор",
        "service_date": "Дата услуги",
        "in_window": "в пределах срока возврата",
        "out_window": "вне срока возврата",
        "consent_id": "Идентификатор согласия",
        "message": "Сообщение",
        "data_held": "Данные, хранимые для {email}",
        "data_held_help": "Всё, что шлюз хранит для этого адреса и его идентификаторов согласия:",
        "download_json": "Скачать JSON",
        "download_csv": "Скачать CSV",
        "replies": "Переписка",
        "staff": "Сотрудник",
        "requester": "Заявитель",
        "no_replies": "Ответов пока нет.",
        "actions": "Действия",
        "assign_to": "Назначить",
        "nobody": "никому",
        "assign": "Назначить",
        "reply_label": "Ответ (уходит письмом и виден на странице статуса)",
        "reply_button": "Отправить ответ",
        "ask_label": "Запросить сведения у заявителя",
        "ask_button": "Запросить",
        "ask_hint": "Обращение ждёт ответа заявителя.",
        "complete_label": "Выполнить (заключительная запись по желанию)",
        "complete_button": "Выполнить",
        "complete_access_hint": "Заявитель получит свои данные на странице статуса.",
        "reject_label": "Отклонить (причина обязательна, уходит заявителю)",
        "reject_button": "Отклонить",
        "extend_label": "Продлить на 5 рабочих дней (причина)",
        "extend_hint": "152-ФЗ допускает одно продление; заявителю сообщается причина.",
        "extend_button": "Продлить",
        "extended_once": "Срок уже продлевался (152-ФЗ допускает одно продление).",
        "no_extension": "30-дневный срок по §4 политики не продлевается.",
        "erase_note": "Заключительная запись (по желанию; уходит письмом до удаления адреса)",
        "audit": "Журнал действий",
        "h_when": "Когда (UTC)",
        "h_who": "Кто",
        "h_action": "Действие",
        "h_detail": "Подробности",
        "no_entries": "Записей нет.",
        "choose_staff": "Выберите активного сотрудника.",
        "assigned": "Назначено: {who}.",
        "replied": "Ответ отправлен заявителю.",
        "asked": "Вопрос отправлен; обращение ждёт ответа заявителя.",
        "extended_to": "Срок продлён до {date}.",
        "rejected": "Обращение отклонено; заявителю сообщена причина.",
        "only_erase": "Данные удаляются только по запросу на удаление.",
        "erase_open": "Выполнить можно только подтверждённый открытый запрос на удаление.",
        "tick_box": "Отметьте флажок, чтобы подтвердить удаление.",
        "erased_count": "Удалено записей: {total}; сохранено только подтверждение выполнения.",
        "form_expired": "Форма устарела; ничего не сделано. Текст сохранён: отправьте его снова.",
    },
    "en": {
        "bad_consent_id": (
            "A consent ID has 16 letters and digits, such as abcd-efgh-ijkl-mnop (case and "
            "dashes do not matter)."
        ),
        "not_withdrawal": "Only a consent withdrawal request withdraws a consent.",
        "withdraw_withdrawn": "The withdrawal of consent {id} is recorded in the consent log.",
        "withdraw_already withdrawn": (
            "Consent {id} was already withdrawn: the request can be completed."
        ),
        "withdraw_not found": (
            "No records are kept for consent {id}: nothing was withdrawn. Ask the requester "
            "for the right ID, or reject the request saying why."
        ),
        "withdraw_first": (
            'Record the withdrawal first ("Withdraw consent"): a withdrawal request is '
            "complete only once the consent is withdrawn."
        ),
        "erase_first": (
            'An erasure request is fulfilled with "Erase data": it cannot be marked complete '
            "while the data is still there."
        ),
        "completed": "Request completed; the requester was told.",
        "completed_access": (
            "Request completed: the requester was told and can download their data from the "
            "status page."
        ),
        "withdraw_title": "Withdraw consent",
        "withdraw_help": (
            'Records the withdrawal in the consent log (source "staff"). Correct the ID if the '
            "requester gave a better one."
        ),
        "withdraw_button": "Withdraw consent",
        "withdrawal_state": "Consent in the log",
        "withdrawal_withdrawn": "withdrawn",
        "withdrawal_granted": "granted: not withdrawn yet",
        "withdrawal_unknown": "not found",
        "withdrawal_none": "the requester gave no ID",
        "erase_title": "Erase data",
        "erase_warning": (
            "Irreversible: everything held about the requester (requests, messages, consents "
            "under their confirmed IDs) is deleted. Only an anonymous proof of fulfilment and "
            "the history of actions, without personal data, remain."
        ),
        "erase_confirm": "I checked the requester's identity and erase their data for good",
        "erase_button": "Erase data for good",
        "deadline": "Deadline",
        "data_label": "Data delivery",
        "data_until": "Data available to the requester until {until}",
        "data_downloads": "downloads: {count}",
        "queue_title": "Data-subject requests",
        "queue_tab": "Requests",
        "filter_label": "Filter requests",
        "status": "Status",
        "active_statuses": "active (open, in progress, waiting)",
        "all": "all",
        "type": "Type",
        "all_types": "all types",
        "filter": "Filter",
        "count_line": "{count} {noun}, earliest due first. Today (Moscow): {today}.",
        "h_due": "Due",
        "h_requester": "Requester",
        "h_assignee": "Assignee",
        "h_received": "Received",
        "overdue": "overdue",
        "erased": "(erased)",
        "none_match": "No requests match.",
        "card_title": "Request #{id}",
        "all_requests": "← All requests",
        "h_due_card": "Due",
        "extended": "extended: {reason}",
        "due_unset": "set when the e-mail is confirmed",
        "language": "Language",
        "received": "Received",
        "confirmed": "Confirmed",
        "not_yet": "not yet",
        "contract": "Contract",
        "service_date": "Service date",
        "in_window": "within the refund window",
        "out_window": "outside the refund window",
        "consent_id": "Consent ID",
        "message": "Message",
        "data_held": "Data held for {email}",
        "data_held_help": "Everything the gateway holds for this address and its consent IDs:",
        "download_json": "Download JSON",
        "download_csv": "Download CSV",
        "replies": "Replies",
        "staff": "Staff",
        "requester": "Requester",
        "no_replies": "No replies yet.",
        "actions": "Actions",
        "assign_to": "Assign to",
        "nobody": "nobody",
        "assign": "Assign",
        "reply_label": "Reply (e-mailed, shown on the status page)",
        "reply_button": "Send reply",
        "ask_label": "Ask the requester for information",
        "ask_button": "Ask",
        "ask_hint": "The request waits for their answer.",
        "complete_label": "Complete (optional closing note)",
        "complete_button": "Complete",
        "complete_access_hint": "The requester gets their data on the status page.",
        "reject_label": "Reject (reason required, sent to the requester)",
        "reject_button": "Reject",
        "extend_label": "Extend by 5 working days (reason)",
        "extend_hint": "152-FZ allows one extension; the requester is told why.",
        "extend_button": "Extend",
        "extended_once": "Already extended once (152-FZ allows one extension).",
        "no_extension": "The 30-day deadline of policy §4 has no extension.",
        "erase_note": "Closing note (optional, e-mailed before the address is erased)",
        "audit": "Audit log",
        "h_when": "When (UTC)",
        "h_who": "Who",
        "h_action": "Action",
        "h_detail": "Detail",
        "no_entries": "No entries.",
        "choose_staff": "Choose an active staff member.",
        "assigned": "Assigned to {who}.",
        "replied": "Reply sent to the requester.",
        "asked": "Question sent; the request waits for the requester.",
        "extended_to": "Deadline extended to {date}.",
        "rejected": "Request rejected; the requester was told why.",
        "only_erase": "Only erasure requests erase data.",
        "erase_open": "Only a confirmed, open erasure request can be fulfilled.",
        "tick_box": "Tick the box to confirm the erasure.",
        "erased_count": "Erased {total} records; only the proof of fulfilment is kept.",
        "form_expired": "The form had expired; nothing was done. Your text is kept: send it again.",
    },
}


def staff_texts(lang: str) -> dict[str, str]:
    return STAFF_TEXTS.get(lang, STAFF_TEXTS["en"])


# The request rules' refusals (gateway.contact.services, in English) in Russian.
ACTION_ERRORS_RU: Final = {
    "The requester has not confirmed the e-mail address yet.": (
        "Заявитель ещё не подтвердил адрес."
    ),
    "The request is closed.": "Обращение закрыто.",
    "The reply is required.": "Нужен текст ответа.",
    "The question is required.": "Нужен текст вопроса.",
    "The reason is required.": "Нужна причина.",
    "This request does not take answers.": "Это обращение не принимает ответов.",
    "The 30-day deadline of policy §4 cannot be extended.": (
        "30-дневный срок по §4 политики продлить нельзя."
    ),
    "The deadline was already extended once.": "Срок уже продлевался.",
}


def staff_error(message: str, lang: str) -> str:
    """A refusal of the request rules in the staff member's language."""
    return ACTION_ERRORS_RU.get(message, message) if lang == "ru" else message
