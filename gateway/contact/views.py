"""Public pages: the contact form, the verification link and the status page."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RateLimitExceeded
from itsdangerous import BadSignature
from sqlalchemy.exc import SQLAlchemyError

from gateway import ratelimits
from gateway.contact import deadlines, notifications, services, subject_data
from gateway.contact.forms import EMAIL, ContactForm, csrf_token_valid
from gateway.contact.models import STATUS_UNVERIFIED, ContactRequest
from gateway.contact.texts import STATUS_LABELS, TYPE_LABELS, format_date, texts
from gateway.extensions import csrf, db, limiter
from gateway.i18n import request_language
from gateway.mail import deliver_due
from gateway.signing import serializer
from gateway.subject_sources import registered_sources
from gateway.timeutil import utcnow

log = logging.getLogger(__name__)
bp = Blueprint("contact", __name__, url_prefix="/contact")

# Signed "form shown at" stamps older than this are ignored (a day-old tab still works).
FORM_STAMP_MAX_AGE = 24 * 3600


def _form_stamp() -> str:
    return str(serializer("contact-form").dumps("contact"))


def _filled_too_fast(stamp: str) -> bool:
    """True when the form came back sooner than a person can fill it (or unsigned)."""
    minimum = current_app.config["CONTACT_MIN_FILL_SECONDS"]
    try:
        _value, shown_at = serializer("contact-form").loads(
            stamp or "", max_age=FORM_STAMP_MAX_AGE, return_timestamp=True
        )
    except BadSignature:
        return True
    elapsed = (utcnow() - shown_at.replace(tzinfo=None)).total_seconds()
    return bool(elapsed < minimum)


def _render_form(
    form: ContactForm, lang: str, notice: str = "", status: int = 200
) -> tuple[str, int]:
    form.started.data = _form_stamp()
    form.website.data = ""
    return (
        render_template(
            "contact/form.html",
            form=form,
            t=texts(lang),
            lang=lang,
            notice=notice,
            types=TYPE_LABELS[lang],
        ),
        status,
    )


def _accepted(response: Response) -> bool:
    return response.status_code == 303


def _deliver_mail() -> None:
    # Mail is already safe in the outbox; a failure here only delays it.
    try:
        deliver_due(db.session(), limit=10)
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("mail delivery postponed: the outbox could not be read")


@bp.route("", methods=["GET", "POST"])
@csrf.exempt  # type: ignore[untyped-decorator]  # the form checks its own token (keeps what was typed)
# Accepted requests are limited strictly; a visitor correcting mistakes is not
# locked out (and loses nothing), while floods of any kind hit the looser limit.
@limiter.limit("5 per minute;30 per day", methods=["POST"], deduct_when=_accepted)
@limiter.limit("30 per minute", methods=["POST"])
def form() -> ResponseReturnValue:
    lang = request_language()
    today = deadlines.moscow_date(utcnow())
    contact_form = ContactForm(lang=lang, today=today)
    t = texts(lang)
    if request.method == "GET":
        if request.args.get("type") in TYPE_LABELS[lang]:
            contact_form.request_type.data = request.args["type"]
        consent_id = request.args.get("consent_id", "")[:64]
        if consent_id:
            contact_form.request_type.data = "withdraw-consent"
            contact_form.consent_id.data = consent_id
        return _render_form(contact_form, lang)

    valid = contact_form.validate()
    if contact_form.csrf_failed:
        return _render_form(contact_form, lang, t["csrf"], 400)
    if contact_form.website.data:
        # A bot filled the invisible field: it gets the usual answer, nothing is stored.
        return redirect(url_for("contact.sent", lang=lang), code=303)
    if not valid:
        return _render_form(contact_form, lang, t["errors_above"], 400)
    if _filled_too_fast(contact_form.started.data or ""):
        return _render_form(contact_form, lang, t["too_fast"], 400)

    data = services.NewRequest(
        email=contact_form.email.data,
        name=contact_form.name.data,
        request_type=contact_form.request_type.data,
        message=contact_form.message.data,
        language=lang,
        contract_number=contact_form.contract_number.data,
        service_date=contact_form.parsed_service_date,
        consent_id=contact_form.consent_id.data,
    )
    with db.transaction() as session:
        contact_request = services.create_request(session, data, utcnow())
        session.flush()
        if not notifications.mail_verification(session, contact_request):
            # The mailbox had its day's share: the request waits unmailed (and is
            # purged unconfirmed); the page says the same as ever, so it tells a
            # stranger nothing about the address.
            services.audit(
                session, contact_request, services.ACTOR_SYSTEM, "not mailed", "", utcnow()
            )
    _deliver_mail()
    # The page after sending gives no access to the request: the status link
    # travels only by e-mail. It keeps the refund verdict the sender may see.
    window = contact_request.refund_in_window
    refund = "" if window is None else ("within" if window else "outside")
    return redirect(url_for("contact.sent", lang=lang, refund=refund or None), code=303)


def _load(token: str, reader: str) -> tuple[ContactRequest | None, str]:
    """The request a token names, or None with the reason to show."""
    read = (
        notifications.read_verify_token if reader == "verify" else notifications.read_status_token
    )
    try:
        request_id, created = read(token)
    except notifications.LinkExpired:
        return None, "link_expired"
    except notifications.LinkInvalid:
        return None, "link_invalid"
    contact_request = db.session.get(ContactRequest, request_id)
    if contact_request is None or not notifications.token_matches(contact_request, created):
        return None, "not_found"
    return contact_request, ""


def _lang_for(contact_request: ContactRequest | None) -> str:
    if request.args.get("lang") in ("ru", "en"):
        return request_language()
    return contact_request.language if contact_request else request_language()


def _link_problem(reason: str, lang: str, status: int) -> ResponseReturnValue:
    t = texts(lang)
    return render_template("contact/problem.html", t=t, lang=lang, message=t[reason]), status


@bp.get("/sent")
def sent() -> ResponseReturnValue:
    lang = request_language()
    refund = request.args.get("refund")
    window = None if refund not in ("within", "outside") else refund == "within"
    return render_template("contact/sent.html", t=texts(lang), lang=lang, refund_in_window=window)


@bp.get("/verify/<token>")
def verify(token: str) -> ResponseReturnValue:
    """What the e-mailed link opens: a confirm button; opening it (GET, HEAD, a mail
    scanner following links) confirms nothing."""
    contact_request, problem = _load(token, "verify")
    lang = _lang_for(contact_request)
    if contact_request is None:
        status = 404 if problem == "not_found" else 400
        return _link_problem(problem, lang, status)
    t = texts(lang)
    if contact_request.status != STATUS_UNVERIFIED:
        return render_template("contact/verify.html", t=t, lang=lang, req=None, done=True)
    return render_template(
        "contact/verify.html",
        t=t,
        lang=lang,
        req=contact_request,
        done=False,
        type_label=TYPE_LABELS[lang][contact_request.request_type],
        received=format_date(deadlines.moscow_date(contact_request.created_at), lang),
    )


@bp.post("/verify/<token>")
@limiter.limit("10 per minute")
def confirm(token: str) -> ResponseReturnValue:
    """The confirm button: only this POST (CSRF-checked) confirms the mailbox."""
    contact_request, problem = _load(token, "verify")
    lang = _lang_for(contact_request)
    if contact_request is None:
        status = 404 if problem == "not_found" else 400
        return _link_problem(problem, lang, status)
    t = texts(lang)
    rule = current_app.config["REQUEST_DEADLINE"]
    with db.transaction() as session:
        newly = services.verify_request(session, contact_request, rule, utcnow())
        if newly:
            # The status link comes by e-mail too, for later visits.
            notifications.mail_update(session, contact_request)
    if not newly:
        # Single use: a second confirmation opens nothing.
        return render_template("contact/verify.html", t=t, lang=lang, req=None, done=True)
    _deliver_mail()
    due = format_date(contact_request.due_date, lang) if contact_request.due_date else ""
    flash(t["verified_now"].format(due=due), "success")
    status_token = notifications.status_token(contact_request)
    return redirect(url_for("contact.status", token=status_token, lang=lang), code=303)


@bp.post("/status/<token>/renew")
@limiter.limit("5 per minute;20 per day")
def renew(token: str) -> ResponseReturnValue:
    """An expired status link asks for a fresh one, which goes to the request's mailbox."""
    lang = request_language()
    try:
        request_id, created = notifications.read_expired_status_token(token)
    except (notifications.LinkExpired, notifications.LinkInvalid):
        return _link_problem("link_invalid", lang, 400)
    contact_request = db.session.get(ContactRequest, request_id)
    if contact_request is not None and notifications.token_matches(contact_request, created):
        lang = _lang_for(contact_request)
        with db.transaction() as session:
            if notifications.mail_fresh_link(session, contact_request):
                services.audit(
                    session, contact_request, services.ACTOR_REQUESTER, "new link", "", utcnow()
                )
        _deliver_mail()
    # The same answer whether or not anything was sent.
    t = texts(lang)
    return render_template("contact/problem.html", t=t, lang=lang, message=t["fresh_sent"])


@bp.route("/links", methods=["GET", "POST"])
@limiter.limit("5 per minute;20 per day", methods=["POST"])
def links() -> ResponseReturnValue:
    """Lost the mails? The status links of an address's confirmed requests, mailed to it."""
    lang = request_language()
    t = texts(lang)
    if request.method == "GET":
        return render_template("contact/links.html", t=t, lang=lang, email="", error="")
    email = services.clean_text(request.form.get("email", "")).strip()[:254]
    if not EMAIL.match(email):
        body = render_template(
            "contact/links.html", t=t, lang=lang, email=email, error=t["bad_email"]
        )
        return body, 400
    with db.transaction() as session:
        notifications.mail_status_links(session, email, lang)
    _deliver_mail()
    # The same answer whether or not the address has requests.
    return render_template("contact/problem.html", t=t, lang=lang, message=t["links_sent"])


@bp.get("/data/<token>.<fmt>")
@limiter.limit("20 per hour")
def download(token: str, fmt: str) -> ResponseReturnValue:
    """The requester's own data, from the status page of a completed access request."""
    if fmt not in ("json", "csv"):
        abort(404)
    lang = request_language()
    try:
        request_id, created = notifications.read_data_token(token)
    except notifications.LinkExpired:
        return _link_problem("data_link_expired", lang, 410)
    except notifications.LinkInvalid:
        return _link_problem("link_invalid", lang, 400)
    contact_request = db.session.get(ContactRequest, request_id)
    if contact_request is None or not notifications.token_matches(contact_request, created):
        return _link_problem("not_found", lang, 404)
    now = utcnow()
    if not notifications.data_downloadable(contact_request, now):
        return _link_problem("data_link_expired", _lang_for(contact_request), 410)
    session = db.session()
    body, mimetype = subject_data.render_export(
        session, contact_request.email, registered_sources(current_app), fmt, now
    )
    if request.method == "GET":  # a HEAD (a link checker) downloads nothing
        services.audit(session, contact_request, services.ACTOR_REQUESTER, "downloaded", fmt, now)
        session.commit()
    filename = f"hottelecom-data-{contact_request.id}.{fmt}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/status/<token>", methods=["GET", "POST"])
@csrf.exempt  # type: ignore[untyped-decorator]  # checked below, so a stale form keeps the answer
@limiter.limit("10 per minute", methods=["POST"])
def status(token: str) -> ResponseReturnValue:
    contact_request, problem = _load(token, "status")
    lang = _lang_for(contact_request)
    if problem == "link_expired":
        t = texts(lang)
        days = current_app.config["STATUS_LINK_DAYS"]
        return render_template(
            "contact/problem.html",
            t=t,
            lang=lang,
            message=t["status_expired"].format(days=days),
            renew_url=url_for("contact.renew", token=token, lang=lang),
        ), 410
    if contact_request is None:
        return _link_problem(problem, lang, 404 if problem == "not_found" else 400)
    t = texts(lang)
    answer_error = ""
    answer_text = ""
    if request.method == "POST":
        answer_text = services.clean_text(request.form.get("body", ""))
        if not csrf_token_valid():
            answer_error = t["csrf"]
        elif not services.takes_answers(contact_request):
            answer_error = t["no_answers"]
        elif not answer_text.strip():
            answer_error = t["required"]
        elif len(answer_text) > services.MAX_TEXT:
            answer_error = t["too_long"].format(max=services.MAX_TEXT)
        else:
            with db.transaction() as session:
                before = contact_request.status
                services.requester_answer(session, contact_request, answer_text, utcnow())
                if contact_request.status != before:
                    # Every status change is mailed, this one included.
                    notifications.mail_update(session, contact_request)
            _deliver_mail()
            flash(t["reply_sent"], "success")
            return redirect(url_for("contact.status", token=token, lang=lang), code=303)
    body = _status_page(contact_request, lang, answer_text, answer_error)
    return body, 400 if answer_error else 200


def _status_page(
    contact_request: ContactRequest, lang: str, answer_text: str, answer_error: str
) -> str:
    until = notifications.data_available_until(contact_request)
    data_token = None
    if until is not None and notifications.data_downloadable(contact_request, utcnow()):
        data_token = notifications.data_token(contact_request)
    return render_template(
        "contact/status.html",
        t=texts(lang),
        lang=lang,
        req=contact_request,
        type_label=TYPE_LABELS[lang][contact_request.request_type],
        status_label=STATUS_LABELS[lang][contact_request.status],
        takes_answers=services.takes_answers(contact_request),
        answer_error=answer_error,
        answer_text=answer_text,
        data_until=format_date(until, lang) if until else "",
        data_token=data_token,
        due_lines=notifications.due_lines(contact_request, lang),
        format_date=format_date,
    )


@bp.errorhandler(RateLimitExceeded)
def _over_limit(exc: RateLimitExceeded) -> ResponseReturnValue:
    """Too many posts: the same form again, with what was typed and when to resend."""
    seconds = ratelimits.retry_after_seconds()
    if request.endpoint == "contact.form":
        lang = request_language()
        notice = texts(lang)["rate_limited"].format(when=ratelimits.wait_phrase(seconds, lang))
        contact_form = ContactForm(lang=lang, today=deadlines.moscow_date(utcnow()))
        body, _status = _render_form(contact_form, lang, notice)
        return ratelimits.over_limit_response(body, seconds)
    if request.endpoint == "contact.status":
        contact_request, _problem = _load(str((request.view_args or {}).get("token", "")), "status")
        if contact_request is not None:
            lang = _lang_for(contact_request)
            when = ratelimits.wait_phrase(seconds, lang)
            answer = services.clean_text(request.form.get("body", ""))
            notice = texts(lang)["rate_limited"].format(when=when)
            body = _status_page(contact_request, lang, answer, notice)
            return ratelimits.over_limit_response(body, seconds)
    return ratelimits.too_many_requests(exc)
