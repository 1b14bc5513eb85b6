"""/admin/users: list, create, change role, deactivate and reactivate staff accounts."""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.admin import auth, users
from gateway.admin.models import ROLES, User
from gateway.admin.users_texts import error_text, texts
from gateway.admin.views import bp
from gateway.extensions import db
from gateway.i18n import request_language

log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1


def _actor() -> User:
    user = auth.current_user()
    assert user is not None  # admin_required ran first
    return user


def _render(
    errors: dict[str, str] | None = None, typed: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    body = render_template(
        "admin/users.html",
        users=users.list_users(db.session()),
        roles=ROLES,
        me=_actor(),
        errors=errors or {},
        t=texts(request_language()),
        typed=typed or {"email": "", "role": "staff"},
        min_password=auth.MIN_PASSWORD_LENGTH,
    )
    return body, status


def _target(user_id: int) -> User:
    # Ids are 32-bit in the database; a larger number names nobody.
    user = db.session.get(User, user_id) if user_id <= MAX_ID else None
    if user is None:
        abort(404, description=texts(request_language())["no_user"])
    return user


@bp.get("/users")
@auth.admin_required
def users_page() -> ResponseReturnValue:
    return _render()


@bp.post("/users")
@auth.staff_writes
@auth.admin_required
def create_user() -> ResponseReturnValue:
    email = request.form.get("email", "")[:300].strip()
    role = request.form.get("role", "staff")
    password = request.form.get("password", "")[:1024]
    repeat = request.form.get("password_repeat", "")[:1024]
    typed = {"email": email, "role": role if role in ROLES else "staff"}
    lang = request_language()
    t = texts(lang)
    if password != repeat:
        return _render({"password_repeat": t["differ"]}, typed, 400)
    try:
        with db.transaction() as session:
            user = auth.create_user(session, email, password, role)
    except auth.UserError as exc:
        message = str(exc)
        field = "password" if "password" in message else "role" if "role" in message else "email"
        message = error_text(message, lang)
        return _render({field: message[:1].upper() + message[1:] + "."}, typed, 400)
    log.info("user %s created user %s (%s)", _actor().id, user.id, user.role)
    flash(t["created"].format(role=user.role, email=user.email), "success")
    return redirect(url_for("admin.users_page"), code=303)


@bp.post("/users/<int:user_id>/role")
@auth.staff_writes
@auth.admin_required
def change_role(user_id: int) -> ResponseReturnValue:
    user = _target(user_id)
    lang = request_language()
    t = texts(lang)
    try:
        with db.transaction() as session:
            changed = users.change_role(session, _actor(), user, request.form.get("role", ""))
    except auth.UserError as exc:
        flash(t["error"].format(email=user.email, message=error_text(str(exc), lang)), "error")
        return redirect(url_for("admin.users_page"), code=303)
    if changed:
        log.info("user %s made user %s %s", _actor().id, user.id, user.role)
        flash(t["role_now"].format(email=user.email, role=user.role), "success")
    return redirect(url_for("admin.users_page"), code=303)


@bp.post("/users/<int:user_id>/active")
@auth.staff_writes
@auth.admin_required
def set_active(user_id: int) -> ResponseReturnValue:
    user = _target(user_id)
    lang = request_language()
    t = texts(lang)
    active = request.form.get("active") == "yes"
    try:
        with db.transaction() as session:
            changed = users.set_active(session, _actor(), user, active)
    except auth.UserError as exc:
        flash(t["error"].format(email=user.email, message=error_text(str(exc), lang)), "error")
        return redirect(url_for("admin.users_page"), code=303)
    if changed:
        log.info("user %s set user %s active=%s", _actor().id, user.id, active)
        flash(
            t["reactivated" if active else "deactivated_flash"].format(email=user.email), "success"
        )
    return redirect(url_for("admin.users_page"), code=303)
