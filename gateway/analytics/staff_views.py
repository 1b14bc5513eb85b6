"""/admin/forwarded: what Google receives, what the intake dropped, and the dead letters."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from gateway.admin import auth
from gateway.admin.pages import page_scope, sentence
from gateway.analytics import forwarded
from gateway.analytics.forwarding import outbox
from gateway.analytics.forwarding.models import OUTCOMES
from gateway.extensions import db
from gateway.redirects import safe_target
from gateway.sites import all_sites
from gateway.timeutil import utcnow

bp = Blueprint("analytics_staff", __name__, url_prefix="/admin/forwarded")
log = logging.getLogger(__name__)

# Outbox ids are 64-bit: 18 digits always fit.
MAX_ID_DIGITS = 18


@bp.get("")
@auth.login_required
def forwarded_page() -> ResponseReturnValue:
    period, site, problems = page_scope()
    mode = outcome = None
    page = 1
    try:
        mode = forwarded.check_choice(request.args.get("mode"), forwarded.MODES, "mode")
    except forwarded.FilterError as exc:
        problems.append(sentence(exc))
    try:
        outcome = forwarded.check_choice(request.args.get("outcome"), OUTCOMES, "outcome")
    except forwarded.FilterError as exc:
        problems.append(sentence(exc))
    try:
        page = forwarded.parse_page(request.args.get("page"))
    except forwarded.FilterError as exc:
        problems.append(sentence(exc))
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
        "analytics/staff/forwarded.html",
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


@bp.post("/retry")
@auth.staff_writes
@auth.admin_required
def retry_dead_letters() -> ResponseReturnValue:
    """Dead letters back to pending: one (``event_id``) or all of a site (or of every site)."""
    target = safe_target(request.form.get("next"), "analytics_staff.forwarded_page")
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
