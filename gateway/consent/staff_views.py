"""/admin/consents: look up a consent's proof records, and consent rates per site over time."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from gateway.admin.auth import login_required
from gateway.admin.dashboard import DateRange, RangeError, parse_range
from gateway.admin.pages import range_problem
from gateway.consent import chain, reports, services
from gateway.consent.staff_texts import staff_texts
from gateway.extensions import db
from gateway.i18n import request_language
from gateway.sites import all_sites, get_site
from gateway.timeutil import today, utcnow

bp = Blueprint("consent_staff", __name__, url_prefix="/admin/consents")


@bp.get("")
@login_required
def overview() -> ResponseReturnValue:
    lang = request_language()
    t = staff_texts(lang)
    errors: list[str] = []
    session = db.session()

    raw_id = request.args.get("id", "").strip()
    consent_id = services.normalise_consent_id(raw_id) if raw_id else None
    lookup = None
    if raw_id and consent_id is None:
        errors.append(t["id_help"])
    elif consent_id is not None:
        records = services.kept_records(session, [consent_id])
        lookup = {
            "consent_id": consent_id,
            "records": [
                (services.record_as_dict(r), chain.digest_of(r) == r.record_hash) for r in records
            ],
            "state": services.current_state(session, consent_id),
            "report": chain.verify(session) if records else None,
        }

    try:
        period = parse_range(request.args.get("from"), request.args.get("to"), today())
    except RangeError as exc:
        errors.append(t["bad_range"].format(problem=range_problem(exc, lang)))
        period = parse_range(None, None, today())
    site = request.args.get("site", "")
    sites = all_sites()
    if site and get_site(site) is None:
        errors.append(t["bad_site"].format(site=repr(site[:64])))
        site = ""

    rates = reports.consent_rates(session, period, site or None)
    headers, rows = reports.table(rates, lang)
    body = render_template(
        "consent/staff/consents.html",
        errors=errors,
        t=t,
        raw_id=raw_id,
        lookup=lookup,
        period=period,
        site=site,
        sites=sorted(sites.values(), key=lambda s: s.id),
        figures=reports.figures(rates, lang),
        charts=(reports.decisions_chart(rates, lang), reports.acceptance_chart(rates, lang)),
        headers=headers,
        rows=rows,
        range_args=_range_args(period, site),
    )
    return body, 400 if errors else 200


def _range_args(period: DateRange, site: str) -> dict[str, str]:
    args = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if site:
        args["site"] = site
    return args


@bp.get("/<consent_id>.json")
@login_required
def records_json(consent_id: str) -> ResponseReturnValue:
    """Every kept record of one consent with full hashes, for auditors."""
    normalised = services.normalise_consent_id(consent_id)
    if normalised is None:
        abort(404)
    session = db.session()
    records = services.records_for(session, [normalised])
    if not records:
        abort(404)
    document = {
        "consent_id": normalised,
        "generated_at": utcnow().isoformat(timespec="seconds") + "Z",
        "records": records,
    }
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="consent-{normalised}.json"',
            "Cache-Control": "no-store",
        },
    )
