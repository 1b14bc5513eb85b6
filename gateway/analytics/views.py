"""Intake endpoints: the banner's tracker (/api/v1/collect) and gtag.js hits (/g/collect).

Views parse the request, reduce the client to coarse facts through
``gateway.clientinfo``, check consent, and hand plain data to the pipeline.
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Flask, Response, current_app, request

from gateway.analytics import intake
from gateway.analytics.anonymizer import derive_key
from gateway.analytics.intake import Context, Hit, Identity, PayloadError
from gateway.analytics.store import CollectWriter, StoreUnavailable
from gateway.clientinfo import client_location, device_facts, gpc_enabled
from gateway.consent.services import current_state
from gateway.consent.tokens import ConsentClaims, TokenInvalid, read_token
from gateway.errors import APIError
from gateway.extensions import db, limiter
from gateway.metrics import COLLECT_EVENTS
from gateway.policy.store import policy_state
from gateway.sites import Site, all_sites, get_site, site_by_measurement_id
from gateway.timeutil import utcnow

bp = Blueprint("analytics", __name__)

MAX_BODY = 64 * 1024
JSON_TYPES = frozenset({"application/json", "text/plain"})
GTAG_TYPES = frozenset({"", "text/plain", "application/x-www-form-urlencoded"})
# Generous: one office behind one NAT address sends many visitors' hits.
COLLECT_LIMIT = "1200 per minute"
CLIENT_ID_KEY_PURPOSE = "hottelecom.gateway.analytics.client-id.v1"
# Verified tokens are remembered this long, far less than a token lives; an
# expired token is therefore honoured at most a minute past its expiry.
TOKEN_CACHE_SECONDS = 60.0
TOKEN_CACHE_SIZE = 10_000
TokenCache = dict[str, tuple[ConsentClaims | None, float]]
# The policy version consent is measured against is the same for every
# visitor: read at most once per this many seconds per process (and app), so
# a new visitor's token costs one query, not two. A material change therefore
# takes event mode away at most this long after it takes effect, the same
# bound the token cache already puts on a withdrawal.
POLICY_CACHE_SECONDS = TOKEN_CACHE_SECONDS


def _writer() -> CollectWriter:
    return current_app.extensions["gateway.analytics.writer"]  # type: ignore[no-any-return]


def _key() -> bytes:
    return current_app.extensions["gateway.analytics.key"]  # type: ignore[no-any-return]


def _body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise APIError(413, f"body over {MAX_BODY // 1024} KiB")
    # get_data enforces MAX_CONTENT_LENGTH on chunked bodies too (413).
    data = request.get_data(cache=False)
    if len(data) > MAX_BODY:
        raise APIError(413, f"body over {MAX_BODY // 1024} KiB")
    return data


def _check_origin(site: Site) -> None:
    origin = request.headers.get("Origin")
    if origin is not None and not site.allows_origin(origin):
        raise APIError(403, "origin not allowed for this site", "origin_not_allowed")


def _cors(response: Response, site: Site) -> Response:
    """CORS for the site's own origins; the responses here are fresh, with no Vary yet."""
    origin = request.headers.get("Origin")
    if origin and site.allows_origin(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


def _context(site: Site) -> Context:
    return Context(
        site=site,
        device=device_facts(),
        location=client_location(),
        now=utcnow(),
        key=_key(),
        window_seconds=current_app.config["AGGREGATE_WINDOW"],
    )


def _verified_claims(token: str) -> ConsentClaims | None:
    """read_token, remembered briefly: a visitor sends the same token on every page."""
    cache: TokenCache = current_app.extensions["gateway.analytics.tokens"]
    now = time.monotonic()
    hit = cache.get(token)
    if hit is not None and now - hit[1] < TOKEN_CACHE_SECONDS:
        return hit[0]
    try:
        claims: ConsentClaims | None = read_token(token)
    except TokenInvalid:
        claims = None
    if claims is not None and not _still_granted(claims):
        claims = None
    if len(cache) >= TOKEN_CACHE_SIZE:
        cache.clear()
    cache[token] = (claims, now)
    return claims


def _still_granted(claims: ConsentClaims) -> bool:
    """The proof of consent, not the cookie, decides: a withdrawn consent, or one
    given before a material policy change, no longer allows event mode."""
    session = db.session()
    state = current_state(session, claims.consent_id)
    if state is None or state.withdrawn or not state.choices.get("analytics", False):
        return False
    return state.policy_version >= _consent_version()


def _consent_version() -> int:
    """``policy_state(...).consent_version``, remembered for POLICY_CACHE_SECONDS."""
    cache: dict[str, tuple[int, float]] = current_app.extensions["gateway.analytics.policy"]
    now = time.monotonic()
    hit = cache.get("consent_version")
    if hit is not None and now - hit[1] < POLICY_CACHE_SECONDS:
        return hit[0]
    version = policy_state(db.session()).consent_version
    cache["consent_version"] = (version, now)
    return version


def _consent_identity(token: str | None, site: Site) -> Identity | None:
    """The consent id when this visitor granted analytics on this site, else None."""
    if not token or gpc_enabled():
        return None
    claims = _verified_claims(token)
    if claims is None:
        return None
    if claims.site != site.id or not claims.grants("analytics"):
        return None
    return Identity("consent", claims.consent_id)


def _record(hits: list[Hit], site: Site) -> intake.Outcome:
    ctx = _context(site)
    outcome = intake.process(hits, ctx)
    try:
        _writer().write(outcome, site.id, ctx.now)
    except StoreUnavailable as exc:
        raise APIError(
            503, "analytics storage unavailable; send again later", headers={"Retry-After": "30"}
        ) from exc
    # Counted once stored, so the counter never runs ahead of the database.
    for (result, reason), count in outcome.stats.items():
        COLLECT_EVENTS.labels(result, reason).inc(count)
    return outcome


@bp.route("/api/v1/collect", methods=["OPTIONS"])
def collect_preflight() -> Response:
    origin = request.headers.get("Origin", "")
    allowed = any(site.allows_origin(origin) for site in all_sites().values())
    if not allowed:
        raise APIError(403, "origin not allowed", "origin_not_allowed")
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Access-Control-Max-Age"] = "86400"
    response.vary.add("Origin")
    return response


@bp.post("/api/v1/collect")
@limiter.limit(COLLECT_LIMIT)
def collect() -> tuple[Response, int]:
    if request.mimetype not in JSON_TYPES:
        raise APIError(415, "send application/json (or text/plain from sendBeacon)")
    try:
        payload = intake.parse_collect_payload(intake.decode_json(_body()))
    except PayloadError as exc:
        raise APIError(400, str(exc)) from exc
    site = get_site(payload.site_id)
    if site is None:
        raise APIError(404, "unknown site", "unknown_site")
    _check_origin(site)
    identity = _consent_identity(payload.consent_token, site)
    hits = [
        Hit(h.name, h.params, h.page_url, h.referrer, h.title, identity=identity)
        for h in payload.hits
    ]
    outcome = _record(hits, site)
    answer = Response(json.dumps(outcome.as_response()), mimetype="application/json")
    return _cors(answer, site), 202


@bp.route("/g/collect", methods=["GET", "POST"])
@limiter.limit(COLLECT_LIMIT)
def gtag_collect() -> Response:
    body = ""
    if request.method == "POST":
        if request.mimetype not in GTAG_TYPES:
            raise APIError(415, "gtag hits are text/plain")
        try:
            body = _body().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise APIError(400, "body is not UTF-8") from exc
    query = request.query_string.decode("utf-8", "replace")
    try:
        batch = intake.parse_gtag(query, body)
    except PayloadError as exc:
        raise APIError(400, str(exc)) from exc
    site = site_by_measurement_id(batch.measurement_id)
    if site is None:
        raise APIError(404, "unknown measurement id", "unknown_site")
    _check_origin(site)
    refused = gpc_enabled()
    hits = []
    for hit, gcs, cid in zip(batch.hits, batch.consent_states, batch.client_ids, strict=True):
        # gtag's own id is replaced by a keyed hash, and only when the hit says
        # analytics storage is granted; otherwise the hit is only counted.
        granted = bool(cid) and not refused and intake.gtag_grants_analytics(gcs)
        identity = Identity("gtag", cid) if granted else None
        hits.append(
            Hit(
                hit.name,
                hit.params,
                hit.page_url,
                hit.referrer,
                hit.title,
                hit.engagement_msec,
                identity,
            )
        )
    _record(hits, site)
    return _cors(Response(status=204), site)


def init_app_state(app: Flask) -> None:
    """Per-app state of the intake: the prepared writer, the client-id key, the caches."""
    app.extensions["gateway.analytics.writer"] = CollectWriter(
        app.extensions["gateway.db"], app.config["DATABASE_TIMEOUT"]
    )
    app.extensions["gateway.analytics.key"] = derive_key(
        app.config.get("SECRET_KEY") or "", CLIENT_ID_KEY_PURPOSE
    )
    app.extensions["gateway.analytics.tokens"] = {}
    app.extensions["gateway.analytics.policy"] = {}
