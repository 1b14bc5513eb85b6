"""/admin/account: a staff member's own settings (the language of the staff pages, the password)."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from gateway.admin import auth
from gateway.admin.models import User
from gateway.admin.views import bp
from gateway.extensions import db
from gateway.i18n import LANGUAGES
from gateway.redirects import safe_target

log = logging.getLogger(__name__)

_RU = {
    "the current password is not right": "текущий пароль указан неверно",
    f"the new password needs at least {auth.MIN_PASSWORD_LENGTH} characters": (
        f"в новом пароле нужно не меньше {auth.MIN_PASSWORD_LENGTH} символов"
    ),
    "the new password is the same as the current one": "новый пароль совпадает с текущим",
    "the two new passwords differ": "два новых пароля не совпадают",
}


def _me() -> User:
    user = auth.current_user()
    assert user is not None  # login_required ran first
    return user


def _render(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    body = render_template(
        "admin/account.html",
        me=_me(),
        languages=LANGUAGES,
        errors=errors or {},
        min_password=auth.MIN_PASSWORD_LENGTH,
    )
    return body, status


@bp.get("/account")
@auth.login_required
def account_page() -> ResponseReturnValue:
    return _render()


@bp.post("/account/language")
@auth.staff_writes
@auth.login_required
def set_language() -> ResponseReturnValue:
    me = _me()
    try:
        auth.set_language(me, request.form.get("language", "")[:8])
    except auth.UserError:
        lang = me.language
        message = (
            "Выберите русский или английский." if lang == "ru" else "Choose Russian or English."
        )
        return _render({"language": message}, 400)
    db.session.commit()
    # Back to the staff page the choice was made on (a local path only), never elsewhere.
    back = request.form.get("back", "")[:2000]
    back = back if back == "/admin" or back.startswith(("/admin/", "/admin?")) else ""
    return redirect(safe_target(back, "admin.account_page"), code=303)


@bp.post("/account/password")
@auth.staff_writes
@auth.login_required
def change_password() -> ResponseReturnValue:
    me = _me()
    current = request.form.get("current", "")[:1024]
    new = request.form.get("new", "")[:1024]
    repeat = request.form.get("repeat", "")[:1024]
    sid = session.get(auth.SESSION_KEY)
    try:
        if new != repeat:
            raise auth.UserError("the two new passwords differ")
        auth.change_password(db.session(), me, current, new, sid if isinstance(sid, str) else "")
    except auth.UserError as exc:
        message = str(exc)
        if me.language == "ru":
            message = _RU.get(message, message)
        field = "current" if "current password" in str(exc) else "new"
        return _render({field: message[:1].upper() + message[1:] + "."}, 400)
    db.session.commit()
    log.info("user %s changed their password; their other sessions ended", me.id)
    flash("Пароль изменён." if me.language == "ru" else "Your password has been changed.")
    return redirect(url_for("admin.account_page"), code=303)
