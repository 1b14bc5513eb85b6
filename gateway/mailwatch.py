"""The outgoing mail queue seen from the dashboard: mail that is not getting out.

Requesters learn of replies, deadlines and their data only by e-mail, so mail
stuck in the queue is something a person must look at. Counts only: neither a
recipient nor the server's answer (which often names the recipient) is shown.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.admin.dashboard import Attention
from gateway.i18n import plural
from gateway.mail import UNDELIVERABLE_AFTER, OutboundMail

# `gateway mail send` runs every minute from cron: mail older than this is late.
MAIL_LATE_AFTER = timedelta(minutes=30)


def mail_attention(
    session: Session, now: datetime, _site: str | None, lang: str
) -> list[Attention]:
    late = OutboundMail.created_at < now - MAIL_LATE_AFTER
    failing = int(
        session.scalar(sa.select(sa.func.count()).where(late, OutboundMail.attempts > 0)) or 0
    )
    never_tried = int(
        session.scalar(sa.select(sa.func.count()).where(late, OutboundMail.attempts == 0)) or 0
    )
    days = UNDELIVERABLE_AFTER.days
    items = []
    if failing:
        if lang == "ru":
            mails = plural(
                failing,
                ("письмо не доставлено", "письма не доставлены", "писем не доставлено"),
                "ru",
            )
            text = (
                f"{failing} {mails} больше 30 минут: почтовый сервер отказывает. Причина — в "
                f"выводе gateway mail send; через {days} дней такие письма удаляются."
            )
        else:
            mails = plural(failing, ("mail", "mails", "mails"), "en")
            text = (
                f"{failing} {mails} undelivered for over 30 minutes: the mail server refuses "
                f"them. The reason is in the output of gateway mail send; after {days} days "
                "they are given up."
            )
        items.append(Attention(text, "bad"))
    if never_tried:
        if lang == "ru":
            mails = plural(never_tried, ("письмо ждёт", "письма ждут", "писем ждут"), "ru")
            text = (
                f"{never_tried} {mails} отправки больше 30 минут: gateway mail send "
                "не запускается (cron)."
            )
        else:
            mails = plural(never_tried, ("mail has", "mails have", "mails have"), "en")
            text = (
                f"{never_tried} {mails} waited over 30 minutes without a try: gateway mail "
                "send is not running (cron)."
            )
        items.append(Attention(text, "bad"))
    return items
