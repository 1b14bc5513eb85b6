"""/admin: sign in and out, the dashboard, and what Google receives."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from wtforms import HiddenField, PasswordField, StringField

from gateway import ratelimits
from gateway.admin import auth, forwarded
from gateway.admin.dashboard import DateRange, RangeError, panel_sources, parse_range
from gateway.analytics import outbox
from gateway.analytics.forwarding_models import OUTCOMES
from gateway.extensions import db, limiter
from gateway.forms import TextForm
from gateway.redirects import safe_target
from gateway.sites import all_sites
from gateway.timeutil import today, utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)

LOGIN_FAILED = "Wrong e-mail or password."
# Outbox ids are 64-bit: 18 digits always fit.
MAX_ID_DIGITS = 18
PRESETS = (("Today", 1), ("7 days", 7), ("14 days", 14), ("30 days", 30), ("90 days", 90))


class LoginForm(TextForm):  # type: ignore[misc]
    email = StringField()
    password = PasswordField()
    next = HiddenField()


def _scope() -> tuple[DateRange, str | None, list[str]]:
    """Date range and site from the query string; problems become messages, never errors."""
    problems = []
    default = parse_range(None, None, today())
    try:
        period = parse_range(
            request.args.get("from", "").strip() or None,
            request.args.get("to", "").strip() or None,
            today(),
        )
    except RangeError as exc:
        problems.append(
            f"The date range cannot be used: {exc}. Showing {default.start} to {default.end}."
        )
        period = default
    site = request.args.get("site", "").strip() or None
    if site is not None and site not in all_sites():
        problems.append(f"There is no site {site[:64]!r}; showing all sites.")
        site = None
    return period, site, problems


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


def _presets() -> list[tuple[str, str, str]]:
    end = today()
    return [
        (label, (end - timedelta(days=days - 1)).isoformat(), end.isoformat())
        for label, days in PRESETS
    ]


@bp.get("/")
@bp.get("")  # registered first, so url_for builds /admin
@auth.login_required
def index() -> ResponseReturnValue:
    period, site, problems = _scope()
    session = db.session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    panels = [source.build(session, period, site) for source in panel_sources(app)]
    # Every number a panel marks as bad or as a warning, gathered at the top.
    attention = sorted(
        ((p, f) for p in panels for f in p.figures if f.tone in ("bad", "warn")),
        key=lambda item: item[1].tone != "bad",
    )
    body = render_template(
        "admin/dashboard.html",
        panels=panels,
        attention=attention,
        period=period,
        site=site,
        sites=all_sites(),
        problems=problems,
        presets=_presets(),
    )
    return body, 400 if problems else 200


@bp.get("/forwarded")
@auth.login_required
def forwarded_page() -> ResponseReturnValue:
    period, site, problems = _scope()
    mode = outcome = None
    page = 1
    try:
        mode = forwarded.check_choice(request.args.get("mode"), forwarded.MODES, "mode")
    except forwarded.FilterError as exc:
        problems.append(_sentence(exc))
    try:
        outcome = forwarded.check_choice(request.args.get("outcome"), OUTCOMES, "outcome")
    except forwarded.FilterError as exc:
        problems.append(_sentence(exc))
    try:
        page = forwarded.parse_page(request.args.get("page"))
    except forwarded.FilterError as exc:
        problems.append(_sentence(exc))
    session = db.session()
    sites = all_sites()
    secrets = [s.ga_api_secret for s in sites.values() if s.ga_api_secret]
    wanted = forwarded.ForwardedFilter(period, site, mode, outcome, page)
    result = forwarded.forwarded_requests(session, wanted, secrets)
    results, reasons = forwarded.intake_results(session, period, site)
    letters, dead_total = forwarded.dead_letters(session, site, secrets)
    user = auth.current_user()
    args = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "site": site or "",
        "mode": mode or "",
        "outcome": outcome or "",
    }
    body = render_template(
        "admin/forwarded.html",
        result=result,
        results=results,
        reasons=reasons,
        letters=letters,
        dead_total=dead_total,
        period=period,
        site=site,
        mode=mode,
        outcome=outcome,
        sites=sites,
        modes=forwarded.MODES,
        outcomes=OUTCOMES,
        problems=problems,
        args=args,
        can_retry=user is not None and user.role == "admin",
        dry_run=str(current_app.config["GA_ENDPOINT"]).strip().lower() == "dry-run",
        back=request.full_path if request.query_string else request.path,
    )
    return body, 400 if problems else 200


@bp.post("/forwarded/retry")
@auth.staff_writes
@auth.admin_required
def retry_dead_letters() -> ResponseReturnValue:
    """Dead letters back to pending: one (``event_id``) or all of a site (or of every site)."""
    target = safe_target(request.form.get("next"), "admin.forwarded_page")
    raw_id = request.form.get("event_id", "").strip()
    site = request.form.get("site", "").strip() or None
    if raw_id and not (raw_id.isdigit() and len(raw_id) <= MAX_ID_DIGITS):
        flash("That dead letter does not exist.", "error")
        return redirect(target, code=303)
    if site is not None and site not in all_sites():
        flash(f"There is no site {site[:64]!r}.", "error")
        return redirect(target, code=303)
    ids = [int(raw_id)] if raw_id else None
    count = outbox.requeue_dead(db.engine, utcnow(), site, ids)
    user = auth.current_user()
    log.info("user %s put %d dead letter(s) back in the queue", user.id if user else "?", count)
    if count:
        flash(
            f"{count} event(s) are pending again; the forwarder sends them on its next pass.",
            "success",
        )
    else:
        flash("Nothing to retry: the dead letter was already retried or purged.", "error")
    return redirect(target, code=303)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute;50 per hour", methods=["POST"])
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
        error = LOGIN_FAILED
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
    when = ratelimits.wait_phrase(seconds, "en")
    error = f"Too many sign-in attempts from your address. Nothing was checked; try again {when}."
    body = render_template("admin/login.html", form=form, error=error)
    return ratelimits.over_limit_response(body, seconds)


@bp.post("/logout")
# Reachable without signing in (it only ends a session, and needs the form token).
@limiter.limit("30 per minute")
def logout() -> ResponseReturnValue:
    auth.end_session()
    return redirect(url_for("admin.login"), code=303)
