"""/admin/forwarded: what Google receives, what the intake dropped, and the dead letters;
/admin/traffic: the gateway's own k-anonymous traffic figures."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from gateway.admin import auth
from gateway.admin.charts import Series, ranked_bars, stacked_bars
from gateway.admin.dashboard import series_table
from gateway.admin.pages import page_scope, presets
from gateway.analytics import forwarded, forwarded_texts, traffic
from gateway.analytics.forwarding import outbox
from gateway.analytics.forwarding.models import OUTCOMES
from gateway.analytics.traffic_texts import texts_for
from gateway.extensions import db
from gateway.i18n import request_language
from gateway.redirects import safe_target
from gateway.sites import all_sites
from gateway.timeutil import utcnow

bp = Blueprint("analytics_staff", __name__, url_prefix="/admin/forwarded")
traffic_bp = Blueprint("analytics_traffic", __name__, url_prefix="/admin/traffic")
log = logging.getLogger(__name__)

# Outbox ids are 64-bit: 18 digits always fit.
MAX_ID_DIGITS = 18


@bp.get("")
@auth.login_required
def forwarded_page() -> ResponseReturnValue:
    period, site, problems = page_scope()
    lang = request_language()
    t = forwarded_texts.texts(lang)
    mode = outcome = None
    page = 1
    for what, allowed in (("mode", forwarded.MODES), ("outcome", OUTCOMES)):
        value = request.args.get(what)
        try:
            chosen = forwarded.check_choice(value, allowed, what)
        except forwarded.FilterError:
            shown = str(value)[:64]
            words = t["bad_choice"].format(
                what=t[f"what_{what}"], value=shown, choices=", ".join(allowed)
            )
            problems.append(words[:1].upper() + words[1:])
            continue
        if what == "mode":
            mode = chosen
        else:
            outcome = chosen
    try:
        page = forwarded.parse_page(request.args.get("page"))
    except forwarded.FilterError:
        problems.append(t["bad_page"].format(value=str(request.args.get("page"))[:32]))
    session = db.session()
    sites = all_sites()
    secrets = [s.ga_api_secret for s in sites.values() if s.ga_api_secret]
    wanted = forwarded.ForwardedFilter(period, site, mode, outcome, page)
    result = forwarded.forwarded_requests(session, wanted, secrets)
    results, reasons = forwarded.intake_results(session, period, site)
    letters, dead_total = forwarded.dead_letters(session, site, secrets)
    now = utcnow()
    backlog = forwarded.backlog(session, site, now)
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
        t=t,
        noun=lambda count, key: forwarded_texts.noun(count, key, lang),
        result=result,
        results=results,
        reasons=reasons,
        letters=letters,
        dead_total=dead_total,
        backlog=backlog,
        stalled=backlog.stalled(now),
        waited=forwarded.wait_words(backlog.lag(now), lang),
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
    lang = request_language()
    t = forwarded_texts.texts(lang)
    raw_id = request.form.get("event_id", "").strip()
    site = request.form.get("site", "").strip() or None
    if raw_id and not (raw_id.isdigit() and len(raw_id) <= MAX_ID_DIGITS):
        flash(t["retry_bad_id"].format(id=raw_id[:32]), "error")
        return redirect(target, code=303)
    if site is not None and site not in all_sites():
        flash(t["retry_no_site"].format(site=site[:64]), "error")
        return redirect(target, code=303)
    ids = [int(raw_id)] if raw_id else None
    count = outbox.requeue_dead(db.engine, utcnow(), site, ids)
    user = auth.current_user()
    log.info("user %s put %d dead letter(s) back in the queue", user.id if user else "?", count)
    if count:
        pending = forwarded_texts.noun(count, "pending", lang)
        them = forwarded_texts.noun(count, "them", lang)
        flash(t["retry_done"].format(count=count, pending=pending, them=them), "success")
    elif raw_id:
        flash(t["retry_nothing_one"].format(id=raw_id), "error")
    elif site:
        flash(t["retry_nothing_site"].format(site=site), "error")
    else:
        flash(t["retry_nothing"], "error")
    return redirect(target, code=303)


BREAKDOWN_COLOURS = {
    "page_path": "#2563eb",
    "source_medium": "#16a34a",
    "country": "#9333ea",
    "device_category": "#ea580c",
}
BREAKDOWN_TITLES = {
    "page_path": "pages",
    "source_medium": "sources",
    "country": "countries",
    "device_category": "devices",
}


@traffic_bp.get("")
@auth.login_required
def traffic_page() -> ResponseReturnValue:
    """Page views per day, top pages, sources, countries and devices, for a period and site."""
    period, site, problems = page_scope()
    lang = request_language()
    t = texts_for(lang)
    report = traffic.traffic_report(db.session(), period.start, period.end, site)
    series = (Series("views", t["series_views"], "#2563eb"),)
    rows = [(day, {"views": float(views)}) for day, views in report.days]
    charts = {
        dimension: ranked_bars(
            t[BREAKDOWN_TITLES[dimension]],
            [(line.label, float(line.views)) for line in lines],
            colour=BREAKDOWN_COLOURS[dimension],
        )
        for dimension, lines in report.breakdowns.items()
    }
    args = {"from": period.start.isoformat(), "to": period.end.isoformat(), "site": site or ""}
    if request.args.get("lang"):
        args["lang"] = lang
    body = render_template(
        "analytics/staff/traffic.html",
        t=t,
        lang=lang,
        report=report,
        period=period,
        site=site,
        sites=all_sites(),
        problems=problems,
        presets=presets(),
        args=args,
        day_chart=stacked_bars(t["chart_days"], rows, series),
        day_table=series_table(t["chart_days"], t["day"], rows, series),
        charts=charts,
        titles=BREAKDOWN_TITLES,
        k=int(current_app.config["AGGREGATE_MIN_COUNT"]),
        window_minutes=max(1, int(current_app.config["AGGREGATE_WINDOW"]) // 60),
    )
    return body, 400 if problems else 200


@traffic_bp.get("/export.csv")
@auth.login_required
def traffic_csv() -> ResponseReturnValue:
    """The page's figures as CSV, for a spreadsheet or a monthly report."""
    period, site, problems = page_scope()
    if problems:
        return Response(" ".join(problems) + "\n", 400, mimetype="text/plain")
    report = traffic.traffic_report(db.session(), period.start, period.end, site)
    name = f"traffic-{site or 'all'}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        traffic.report_csv(report),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
