"""/admin: sign in and out, and the dashboard the faces fill with their panels."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from wtforms import HiddenField, PasswordField, StringField

from gateway import ratelimits
from gateway.admin import auth
from gateway.admin.dashboard import attention_checks, panel_sources
from gateway.admin.pages import page_scope, presets
from gateway.extensions import db, limiter
from gateway.forms import TextForm
from gateway.i18n import request_language
from gateway.redirects import safe_target
from gateway.sites import all_sites
from gateway.timeutil import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

LOGIN_FAILED = {"en": "Wrong e-mail or password.", "ru": "Неверный адрес или пароль."}
ACCOUNT_LOGIN_LIMIT = "10 per hour;30 per day"
ACCOUNT_LIMIT_TAG = "account"


class LoginForm(TextForm):  # type: ignore[misc]
    email = StringField()
    password = PasswordField()
    next = HiddenField()


@bp.get("/")
@bp.get("")  # registered first, so url_for builds /admin
@auth.login_required
def index() -> ResponseReturnValue:
    period, site, problems = page_scope()
    session = db.session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    lang = request_language()
    panels = [source.build(session, period, site, lang) for source in panel_sources(app)]
    # Every number a panel marks as bad or as a warning, gathered at the top,
    # with what the faces' own checks find now (a stalled forwarder, stuck mail, …).
    now = utcnow()
    checks = [
        item
        for check in attention_checks(app)
        for item in check(session, now, site, lang)
        if item.tone in ("bad", "warn")
    ]
    figures = [(p, f) for p in panels for f in p.figures if f.tone in ("bad", "warn")]
    attention = sorted(checks, key=lambda item: item.tone != "bad")
    attention_figures = sorted(figures, key=lambda item: item[1].tone != "bad")
    body = render_template(
        "admin/dashboard.html",
        panels=panels,
        attention=attention,
        attention_figures=attention_figures,
        period=period,
        site=site,
        sites=all_sites(),
        problems=problems,
        presets=presets(),
    )
    return body, 400 if problems else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
# Per account too, so guessing one person's password from many addresses stops as
# well; only failed attempts count, so a person who signs in is never held up by it.
@limiter.limit(
    ACCOUNT_LOGIN_LIMIT,
    key_func=auth.login_account_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
    error_message=ACCOUNT_LIMIT_TAG,
)
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if auth.current_user() is not None:
            return redirect(safe_target(form.next.data, "admin.index"))
        return render_template("admin/login.html", form=form, error="")
    error = ""
    if form.validate_on_submit():
        # NUL never belongs in an address (and PostgreSQL refuses it in a query).
        email = (form.email.data or "")[:254].replace("\x00", "")
        password = (form.password.data or "")[:1024]
        user = auth.authenticate(db.session(), email, password)
        if user is not None:
            auth.start_session(user)
            return redirect(safe_target(form.next.data, "admin.index"), code=303)
        error = LOGIN_FAILED[request_language()]
    form.password.data = ""
    return render_template("admin/login.html", form=form, error=error), 401


@bp.errorhandler(RateLimitExceeded)
def _over_limit(exc: RateLimitExceeded) -> ResponseReturnValue:
    """Too many sign-in attempts: the sign-in form again, saying how long to wait."""
    if request.endpoint != "admin.login":
        return ratelimits.too_many_requests(exc)
    seconds = ratelimits.retry_after_seconds()
    form = LoginForm()
    form.password.data = ""
    lang = request_language()
    when = ratelimits.wait_phrase(seconds, lang)
    per_account = exc.description == ACCOUNT_LIMIT_TAG
    if lang == "ru":
        whose = "для этой учётной записи" if per_account else "с вашего адреса"
        error = f"Слишком много попыток входа {whose}. Ничего не проверено; попробуйте {when}."
    else:
        whose = "for this account" if per_account else "from your address"
        error = f"Too many sign-in attempts {whose}. Nothing was checked; try again {when}."
    body = render_template("admin/login.html", form=form, error=error)
    return ratelimits.over_limit_response(body, seconds)


@bp.post("/logout")
# Reachable without signing in (it only ends a session, and needs the form token).
@limiter.limit("30 per minute")
def logout() -> ResponseReturnValue:
    auth.end_session()
    return redirect(url_for("admin.login"), code=303)
