"""Words of the contact face in Russian and English (pages and e-mails)."""

from __future__ import annotations

from typing import Final

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
        "bad_consent_id": "Идентификатор состоит из букв, цифр и дефисов.",
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
        "sent_title": "Запрос принят",
        "sent_body": (
            "Мы отправили письмо на {email}. Перейдите по ссылке в письме в течение "
            "7 дней, чтобы подтвердить адрес — после этого мы начнём работу над запросом."
        ),
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
            "Здравствуйте!\n\nМы получили ваш запрос «{type}». Чтобы подтвердить, что "
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
        "bad_consent_id": "A consent ID has letters, digits and hyphens only.",
        "message_required": "Please describe your request.",
        "too_fast": "The form was sent very quickly. Please check it and send it again.",
        "csrf": "The form had expired. We kept what you typed: please send it again.",
        "errors_above": "Please correct the marked fields.",
        "rate_limited": (
            "Too many submissions from your address: this one was not sent. "
            "What you typed is kept below; please send it again {when}."
        ),
        "sent_title": "Request received",
        "sent_body": (
            "We have sent an e-mail to {email}. Open the link in it within 7 days to "
            "confirm your address; we start working on your request then."
        ),
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
            'Hello,\n\nWe received your request "{type}". To confirm that this address '
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
