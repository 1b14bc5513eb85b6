"""Policy pages, feed and JSON API: parse the request, call the services, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue

from gateway.consent.bundle import cookie_rows
from gateway.consent.texts import categories
from gateway.errors import APIError
from gateway.extensions import db, limiter
from gateway.i18n import request_language
from gateway.policy import texts
from gateway.policy.diff import diff_policies
from gateway.policy.feed import CONTENT_TYPE, Feed, FeedEntry, build_feed
from gateway.policy.rendering import render, substitute
from gateway.policy.store import VersionRecord, version_records
from gateway.policy.versions import VersionInfo, state, status_of
from gateway.sites import Site, all_sites, get_site
from gateway.timeutil import today as utc_today

bp = Blueprint("policy", __name__)


def _infos(records: list[VersionRecord]) -> list[VersionInfo]:
    return [VersionInfo(r.number, r.effective_date, r.material, r.summary) for r in records]


def _find(records: list[VersionRecord], number: int) -> VersionRecord | None:
    return next((r for r in records if r.number == number), None)


def _shown_number(records: list[VersionRecord], today: date) -> int | None:
    """The current version; before any takes effect, the first one announced."""
    now = state(_infos(records), today)
    if now.current is not None:
        return now.current.number
    return now.upcoming[0].number if now.upcoming else None


def _absolute(path: str) -> str:
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


def _localised(response: Response, lang: str) -> Response:
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    return response


def _previous(records: list[VersionRecord], number: int) -> int | None:
    older = [r.number for r in records if r.number < number]
    return max(older) if older else None


def _cookie_tables(sites: list[Site], lang: str) -> list[dict[str, Any]]:
    """Each site's declared cookies by category, in the page's language."""
    tables = []
    for site in sites:
        groups = [
            {"title": c["title"], "rows": rows}
            for c in categories(site, lang)
            if (rows := cookie_rows(site, c["id"], lang))
        ]
        if groups:
            tables.append({"site": site, "groups": groups})
    return tables


def _requested_sites() -> list[Site]:
    """?site=ID: that site's cookies only (the banner links so); without it, every site's."""
    site_id = request.args.get("site")
    if site_id is None:
        return list(all_sites().values())
    site = get_site(site_id)
    if site is None:
        abort(404, description=f"There is no site {site_id[:64]!r}.")
    return [site]


def _switch_args() -> dict[str, Any]:
    args = dict(request.view_args or {})
    site_id = request.args.get("site")
    if site_id is not None and get_site(site_id) is not None:
        args["site"] = site_id
    return args


def _page(records: list[VersionRecord], record: VersionRecord, today: date) -> Response:
    lang = request_language(record.languages)
    wanted = request_language()
    text = record.texts[lang]
    words = texts.ui(lang)
    infos = _infos(records)
    status = status_of(infos, record.number, today)
    rendered = render(text.markdown, current_app.config["CONTACT_EMAIL"])
    next_version = next((r for r in records if r.number > record.number), None)
    announced = [r for r in records if r.number > record.number and r.effective_date > today]
    body = render_template(
        "policy/page.html",
        lang=lang,
        t=words,
        long_date=texts.long_date,
        record=record,
        title=text.title,
        summary=record.summary_in(lang),
        status=status,
        html=rendered.html,
        toc=rendered.toc,
        announced=announced if status != "superseded" else [],
        superseded_until=next_version.effective_date
        if status == "superseded" and next_version
        else None,
        current_number=_shown_number(records, today),
        previous=_previous(records, record.number),
        wanted_lang=wanted,
        cookie_tables=_cookie_tables(_requested_sites(), lang),
        # The language switch keeps ?site=, so the site's cookie table stays.
        switch_args=_switch_args(),
        fallback_notice=(
            texts.ui(wanted)["no_text_in_lang"].format(lang=words[f"language_name_{lang}"])
            if wanted != lang
            else ""
        ),
    )
    return _localised(Response(body), lang)


@bp.get("/privacy")
def current() -> ResponseReturnValue:
    records = version_records(db.session())
    today = utc_today()
    number = _shown_number(records, today)
    record = _find(records, number) if number is not None else None
    if record is None:
        abort(404, description="No privacy policy has been published yet.")
    return _page(records, record, today)


@bp.get("/privacy/v/<int:number>")
def version(number: int) -> ResponseReturnValue:
    records = version_records(db.session())
    record = _find(records, number)
    if record is None:
        abort(404, description=f"There is no version {number} of the privacy policy.")
    return _page(records, record, utc_today())


@bp.get("/privacy/versions")
def versions() -> ResponseReturnValue:
    records = version_records(db.session())
    today = utc_today()
    infos = _infos(records)
    lang = request_language()
    rows = [
        {
            "record": r,
            "status": status_of(infos, r.number, today),
            "summary": r.summary_in(lang),
            "previous": _previous(records, r.number),
        }
        for r in reversed(records)
    ]
    body = render_template(
        "policy/versions.html",
        lang=lang,
        t=texts.ui(lang),
        long_date=texts.long_date,
        rows=rows,
    )
    return _localised(Response(body), lang)


@bp.get("/privacy/diff/<int:old>/<int:new>")
def diff(old: int, new: int) -> ResponseReturnValue:
    records = version_records(db.session())
    older, newer = _find(records, old), _find(records, new)
    missing = [n for n, r in ((old, older), (new, newer)) if r is None]
    if missing or older is None or newer is None:
        abort(404, description=f"There is no version {missing[0]} of the privacy policy.")
    common = [code for code in newer.languages if code in older.languages]
    lang = request_language(common or newer.languages)
    old_text = older.texts.get(lang) or next(iter(older.texts.values()))
    new_text = newer.texts[lang] if lang in newer.texts else next(iter(newer.texts.values()))
    email = current_app.config["CONTACT_EMAIL"]
    result = diff_policies(
        substitute(old_text.markdown, email), substitute(new_text.markdown, email)
    )
    words = texts.ui(lang)
    body = render_template(
        "policy/diff.html",
        lang=lang,
        t=words,
        long_date=texts.long_date,
        older=older,
        newer=newer,
        diff=result,
        summary=newer.summary_in(lang),
        title=words["diff_title"].format(a=old, b=new),
    )
    return _localised(Response(body), lang)


@bp.get("/privacy/feed.atom")
def feed() -> ResponseReturnValue:
    records = version_records(db.session())
    lang = request_language()
    words = texts.ui(lang)
    entries = []
    for record in reversed(records):
        text_lang = lang if lang in record.texts else request_language(record.languages)
        previous = _previous(records, record.number)
        summary = record.summary_in(text_lang)
        effective = f"{words['effective']} {texts.long_date(record.effective_date, lang)}"
        diff_url = (
            _absolute(f"/privacy/diff/{previous}/{record.number}?lang={lang}") if previous else None
        )
        content = render_template(
            "policy/feed_entry.html",
            t=words,
            summary=summary,
            effective=effective,
            material=record.material,
            url=_absolute(f"/privacy/v/{record.number}?lang={lang}"),
            diff_url=diff_url,
        )
        entries.append(
            FeedEntry(
                id=_absolute(f"/privacy/v/{record.number}"),
                title=f"{words['version']} {record.number}: {summary}",
                url=_absolute(f"/privacy/v/{record.number}?lang={lang}"),
                published=record.published_at,
                summary=f"{summary}. {effective}.".replace("..", "."),
                content_html=content,
                diff_url=diff_url,
            )
        )
    xml = build_feed(
        Feed(
            id=_absolute("/privacy/feed.atom"),
            title=f"HotTelecom · {words['versions_title']}",
            subtitle=words["versions_lead"],
            self_url=_absolute(f"/privacy/feed.atom?lang={lang}"),
            page_url=_absolute(f"/privacy/versions?lang={lang}"),
            lang=lang,
            author_name="HotTelecom",
            author_email=current_app.config["CONTACT_EMAIL"],
            entries=entries,
        )
    )
    response = Response(xml, content_type=CONTENT_TYPE)
    # Feed readers poll: an ETag lets them get 304 until a version is published.
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.make_conditional(request)
    return _localised(response, lang)


# -- JSON API ---------------------------------------------------------------


def _api_payload(
    records: list[VersionRecord], record: VersionRecord, today: date
) -> dict[str, Any]:
    lang = request_language(record.languages)
    text = record.texts[lang]
    email = current_app.config["CONTACT_EMAIL"]
    infos = _infos(records)
    previous = _previous(records, record.number)
    links = {
        "self": _absolute(f"/api/v1/policy/{record.number}?lang={lang}"),
        "html": _absolute(f"/privacy/v/{record.number}?lang={lang}"),
        "versions": _absolute("/privacy/versions"),
        "feed": _absolute("/privacy/feed.atom"),
        "diff_previous": (
            _absolute(f"/privacy/diff/{previous}/{record.number}?lang={lang}") if previous else None
        ),
    }
    return {
        "number": record.number,
        "status": status_of(infos, record.number, today),
        "effective_date": record.effective_date.isoformat(),
        "published_at": record.published_at.replace(microsecond=0).isoformat() + "Z",
        "summary": record.summary_in(lang),
        "material": record.material,
        "languages": list(record.languages),
        "lang": lang,
        "title": text.title,
        "markdown": substitute(text.markdown, email),
        "html": render(text.markdown, email).html,
        "links": links,
        "upcoming": [
            {
                "number": r.number,
                "effective_date": r.effective_date.isoformat(),
                "summary": r.summary_in(lang),
                "material": r.material,
                "links": {
                    "self": _absolute(f"/api/v1/policy/{r.number}"),
                    "html": _absolute(f"/privacy/v/{r.number}"),
                    "diff": _absolute(f"/privacy/diff/{record.number}/{r.number}"),
                },
            }
            for r in records
            if r.number > record.number and r.effective_date > today
        ],
    }


@bp.get("/api/v1/policy")
@limiter.limit("120 per minute")
def api_current() -> ResponseReturnValue:
    records = version_records(db.session())
    today = utc_today()
    number = _shown_number(records, today)
    record = _find(records, number) if number is not None else None
    if record is None:
        raise APIError(404, "No privacy policy has been published yet.")
    payload = _api_payload(records, record, today)
    return _localised(jsonify(payload), payload["lang"])


@bp.get("/api/v1/policy/<int:number>")
@limiter.limit("120 per minute")
def api_version(number: int) -> ResponseReturnValue:
    records = version_records(db.session())
    record = _find(records, number)
    if record is None:
        raise APIError(404, f"There is no version {number} of the privacy policy.")
    payload = _api_payload(records, record, utc_today())
    return _localised(jsonify(payload), payload["lang"])
