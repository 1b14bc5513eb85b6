"""/admin: sign in, sign out, and the way in to the staff pages."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField

from gateway.admin import auth
from gateway.extensions import db, limiter

bp = Blueprint("admin", __name__, url_prefix="/admin")

LOGIN_FAILED = "Wrong e-mail or password."


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = StringField()
    password = PasswordField()
    next = HiddenField()


def _landing(target: str | None) -> str:
    return target if auth.is_safe_next(target) and target else url_for("contact_admin.queue")


@bp.get("")
@bp.get("/")
@auth.login_required
def index() -> ResponseReturnValue:
    return redirect(url_for("contact_admin.queue"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if auth.current_user() is not None:
            return redirect(_landing(form.next.data))
        return render_template("admin/login.html", form=form, error="")
    error = ""
    if form.validate_on_submit():
        # NUL never belongs in an address (and PostgreSQL refuses it in a query).
        email = (form.email.data or "")[:254].replace("\x00", "")
        password = (form.password.data or "")[:1024]
        user = auth.authenticate(db.session(), email, password)
        if user is not None:
            auth.start_session(user)
            return redirect(_landing(form.next.data), code=303)
        error = LOGIN_FAILED
    form.password.data = ""
    return render_template("admin/login.html", form=form, error=error), 401


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    auth.end_session()
    return redirect(url_for("admin.login"), code=303)
