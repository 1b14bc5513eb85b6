"""Consent face: the banner script and the consent API (parse, call services, answer)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import SQLAlchemyError

from gateway.clientinfo import device_facts, gpc_enabled
from gateway.consent import bundle, services
from gateway.consent.tokens import (
    ConsentClaims,
    TokenExpired,
    TokenInvalid,
    issue_token,
    read_token,
)
from gateway.errors import APIError
from gateway.extensions import db, limiter
from gateway.i18n import pick_language
from gateway.jsonbody import JSONBodyError, parse_json_body
from gateway.policy.store import policy_state
from gateway.policy.versions import PolicyState
from gateway.sites import SITE_ID, Site, all_sites, get_site
from gateway.timeutil import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("consent", __name__)

BUNDLES_KEY = "gateway.consent.bundles"
LAST_STATE_KEY = "gateway.consent.last_policy_state"
CORS_METHODS = "GET, POST, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Authorization"


# -- the banner script ------------------------------------------------------------------


@bp.get("/c/<site_id>.js")
@limiter.exempt
def banner_script(site_id: str) -> ResponseReturnValue:
    """Banner, CSS, configuration and texts for one site, in one cacheable response."""
    site = get_site(site_id)
    if site is None:
        return Response(
            bundle.unknown_site_script(site_id),
            status=404,
            mimetype="text/javascript",
            headers={"Cache-Control": "public, max-age=60"},
        )
    state: PolicyState | None
    try:
        state = _policy_state()
        current_app.extensions[LAST_STATE_KEY] = state
    except SQLAlchemyError:
        # The database is away: the last known policy state still makes a working
        # banner; with none, the host page gets a comment rather than an error page.
        log.exception("policy state unavailable for the banner script")
        db.session.rollback()
        state = current_app.extensions.get(LAST_STATE_KEY)
        if state is None:
            return Response(
                "/* HotConsent: temporarily unavailable */\n",
                status=503,
                mimetype="text/javascript",
                headers={"Cache-Control": "no-store", "Retry-After": "30"},
            )
    # One language per response: the tag's ?lang=, else the visitor's browser decides.
    requested = request.args.get("lang", "")
    lang = pick_language(requested, request.accept_languages, site.languages, site.default_language)
    # Named by the tag (or the site has one): the same for every visitor; else it varies
    # with Accept-Language.
    fixed = len(site.languages) == 1 or requested.strip().lower()[:2] == lang
    cache = current_app.extensions.setdefault(BUNDLES_KEY, {})
    built = bundle.cached_bundle(cache, site, state, current_app.config["CONSENT_MAX_AGE"], lang)
    gzipped = request.accept_encodings.quality("gzip") > 0
    etag = built.gzip_etag if gzipped else built.etag
    headers = {
        "Cache-Control": "public, max-age=300",
        "Vary": "Accept-Encoding" if fixed else "Accept-Encoding, Accept-Language",
        "ETag": f'"{etag}"',
        # Host pages that isolate themselves (COEP) may still load the banner.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if request.if_none_match.contains_weak(built.etag) or request.if_none_match.contains_weak(
        built.gzip_etag
    ):
        return Response(status=304, headers=headers)
    body = built.gzipped if gzipped else built.body
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return Response(body, mimetype="text/javascript", headers=headers)


def _policy_state() -> PolicyState:
    return policy_state(db.session())


# -- CORS: only the site's own origins ----------------------------------------------------


def _own_origin(origin: str) -> bool:
    """The gateway's own pages (the demo page, the policy) may use the API too."""
    return origin == request.host_url.rstrip("/")


def _origin_allowed(origin: str, site: Site | None) -> bool:
    if _own_origin(origin):
        return True
    if site is not None:
        return site.allows_origin(origin)
    return any(s.allows_origin(origin) for s in all_sites().values())


@bp.after_request
def _cors(response: Response) -> Response:
    origin = request.headers.get("Origin")
    if not request.path.startswith("/api/"):
        return response
    response.vary.add("Origin")
    if origin and _origin_allowed(origin, g.get("consent_site")):
        response.headers["Access-Control-Allow-Origin"] = origin
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response


def _check_origin(site: Site) -> None:
    """Browsers always say where a POST/DELETE comes from: only the site's pages may decide."""
    g.consent_site = site
    origin = request.headers.get("Origin")
    if origin and not _origin_allowed(origin, site):
        raise APIError(403, f"origin {origin[:100]} is not allowed for site {site.id}")


# -- parsing ----------------------------------------------------------------------------


def _json_object() -> dict[str, Any]:
    # text/plain is accepted so the banner's POST needs no CORS preflight.
    if request.mimetype not in ("application/json", "text/plain"):
        raise APIError(415, "send a JSON object as application/json or text/plain")
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 64 * 1024)
    too_large = APIError(413, f"body over {limit // 1024} KiB")
    if (request.content_length or 0) > limit:
        raise too_large
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    try:
        body = parse_json_body(raw)
    except JSONBodyError as exc:
        raise APIError(400, f"malformed JSON: {exc}", "malformed_json") from exc
    if not isinstance(body, dict):
        raise APIError(400, "expected a JSON object", "malformed_json")
    return body


def _site(site_id: Any) -> Site:
    if not isinstance(site_id, str) or not site_id:
        raise APIError(400, "site is required", "invalid_site")
    site = get_site(site_id) if SITE_ID.match(site_id) else None
    if site is None:
        raise APIError(404, f"unknown site {site_id[:64]!r}", "unknown_site")
    return site


def _claims(token: str) -> ConsentClaims:
    try:
        return read_token(token)
    except TokenExpired as exc:
        raise APIError(401, "consent token expired", "token_expired", _bearer_challenge()) from exc
    except TokenInvalid as exc:
        raise APIError(401, "consent token invalid", "token_invalid", _bearer_challenge()) from exc


def _bearer_challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="consent"'}


def _bearer() -> ConsentClaims:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise APIError(
            401,
            "send the consent token as Authorization: Bearer TOKEN",
            headers=_bearer_challenge(),
        )
    return _claims(token.strip())


# -- the API ----------------------------------------------------------------------------


@bp.get("/api/v1/sites/<site_id>/consent-config")
@limiter.limit("120/minute")
def consent_config(site_id: str) -> ResponseReturnValue:
    site = _site(site_id)
    g.consent_site = site
    language = pick_language(
        request.args.get("lang"), request.accept_languages, site.languages, site.default_language
    )
    response = jsonify(services.consent_config(site, language, _policy_state()))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Accept-Language")
    # Banners revalidate cheaply: 304 until the texts or the policy version change.
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/api/v1/consent")
@limiter.limit("30/minute")
def create_consent() -> ResponseReturnValue:
    body = _json_object()
    site = _site(body.get("site"))
    _check_origin(site)
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or body.get(
        "token"
    )
    existing: str | None = None
    if token is not None:
        if not isinstance(token, str):
            raise APIError(400, "token must be a string", "invalid_token")
        claims = _claims(token)
        if claims.site != site.id:
            raise APIError(
                401, "consent token belongs to another site", "token_invalid", _bearer_challenge()
            )
        # A consent whose records were erased starts afresh under a new id, so the
        # visitor's next decision cannot be linked to what was erased.
        if services.current_state(db.session(), claims.consent_id) is not None:
            existing = claims.consent_id
    gpc = gpc_enabled() or body.get("gpc") is True
    decision = services.DecisionInput(
        site=site,
        choices=body.get("choices"),
        policy_version=body.get("policy_version"),
        language=body.get("language"),
        text_hash=body.get("text_hash"),
        gpc=gpc,
        source="banner" if request.headers.get("Origin") else "api",
        browser_family=device_facts().browser_family,
        existing_consent_id=existing,
    )
    state = _policy_state()
    try:
        with db.transaction() as session:
            record = services.record_decision(session, decision, state, utcnow())
    except services.InvalidDecision as exc:
        raise APIError(400, str(exc), "invalid_decision") from exc
    choices = services.choices_of(record)
    version = record.policy_version or 0
    issued = issue_token(ConsentClaims(record.consent_id or "", site.id, choices, version))
    expires = record.created_at + timedelta(days=current_app.config["CONSENT_MAX_AGE"])
    response = jsonify(
        {
            "consent_id": record.consent_id,
            "token": issued,
            "choices": choices,
            "policy_version": version,
            "decision": record.kind,
            "expires_at": expires.isoformat(timespec="seconds") + "Z",
        }
    )
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


def _authorized_state(consent_id: str) -> services.ConsentState:
    claims = _bearer()
    if claims.consent_id != consent_id:
        raise APIError(403, "this token is for another consent id")
    state = services.current_state(db.session(), consent_id)
    if state is None:
        # The token is ours, so this consent was recorded once: its records have been
        # erased (a data-subject request) or have passed their retention period.
        raise APIError(
            410,
            "nothing is kept for this consent any more (erased or past retention); "
            "ask the visitor again",
            "consent_gone",
        )
    site = get_site(state.site)
    if site is not None:
        g.consent_site = site
    return state


@bp.post("/api/v1/consent/standing")
@limiter.limit("600/minute")
def consent_standing() -> ResponseReturnValue:
    """What the banner asks at each page load: is the consent in its cookie still standing?

    One indexed row is read (the latest decision); a withdrawal made elsewhere (the API, a
    request completed by staff) is thus known to the banner at the visitor's next page.
    """
    body = _json_object()
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise APIError(400, "token must be a non-empty string", "invalid_token")
    claims = _claims(token)
    site = get_site(claims.site)
    if site is None:
        raise APIError(404, f"site {claims.site} is not configured", "unknown_site")
    _check_origin(site)
    with db.engine.connect() as connection:
        standing = services.current_standing(connection, claims.consent_id)
    if standing is None:
        raise APIError(410, "nothing is kept for this consent any more", "consent_gone")
    response = jsonify(
        {
            "withdrawn": standing.withdrawn,
            "choices": standing.choices,
            "policy_version": standing.policy_version,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api/v1/consent/<consent_id>")
@limiter.limit("60/minute")
def get_consent(consent_id: str) -> ResponseReturnValue:
    state = _authorized_state(consent_id)
    response = jsonify(state.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/api/v1/consent/<consent_id>")
@limiter.limit("30/minute")
def withdraw_consent(consent_id: str) -> ResponseReturnValue:
    """Withdrawal: recorded like any decision; repeating it records nothing more."""
    state = _authorized_state(consent_id)
    site = get_site(state.site)
    if site is not None:
        _check_origin(site)
    if not state.withdrawn:
        with db.transaction() as session:
            services.withdraw(
                session,
                consent_id,
                "banner" if request.headers.get("Origin") else "api",
                device_facts().browser_family,
                utcnow(),
            )
        state = services.current_state(db.session(), consent_id) or state
    response = jsonify(state.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response
