"""Intake endpoints: the banner's tracker (/api/v1/collect) and gtag.js hits (/g/collect).

The handlers parse the request they are given, reduce the client to coarse
facts through ``gateway.clientinfo``, check consent, and hand plain data to
the pipeline. They take the app and the request as arguments because
``gateway.analytics.intake.lean`` calls them without a Flask request context; the
Flask views below call the same handlers.
"""

from __future__ import annotations

import hashlib
import json
import time

from flask import Blueprint, Flask, Request, Response, current_app, request

from gateway.analytics.intake import pipeline
from gateway.analytics.intake.anonymizer import derive_key, warm_up
from gateway.analytics.intake.lean import Reply, lean_handler
from gateway.analytics.intake.pipeline import Context, Hit, Identity, PayloadError
from gateway.analytics.intake.sessions import session_key_from_start
from gateway.analytics.intake.store import CollectWriter, StoreUnavailable
from gateway.clientinfo import (
    client_location,
    device_facts,
    gpc_enabled,
    request_drop_reason,
)
from gateway.consent.services import StandingQuery
from gateway.consent.tokens import ConsentClaims, TokenInvalid, read_token
from gateway.errors import APIError
from gateway.extensions import db, limiter
from gateway.metrics import count_collect_events
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
# Longer strings are no token the gateway issued: refused unread and never remembered.
MAX_TOKEN_LENGTH = 2048
TokenCache = dict[bytes, tuple[ConsentClaims | None, float]]
# The policy version consent is measured against is the same for every
# visitor: read at most once per this many seconds per process (and app), so
# a new visitor's token costs one query, not two. A material change therefore
# takes event mode away at most this long after it takes effect, the same
# bound the token cache already puts on a withdrawal.
POLICY_CACHE_SECONDS = TOKEN_CACHE_SECONDS


def _body(req: Request) -> bytes:
    length = req.content_length
    if length is not None and length > MAX_BODY:
        raise APIError(413, f"body over {MAX_BODY // 1024} KiB")
    if length is not None:
        # Exactly Content-Length bytes, the WSGI contract, straight from the
        # server: werkzeug's stream wrappers cost more than the read itself.
        data = req.environ["wsgi.input"].read(length) if length else b""
        if len(data) != length:
            raise APIError(400, "body shorter than its Content-Length")
        return data
    # Chunked: no length to trust. Read one byte past the limit, so a longer
    # body is refused (413) like any other, never cut and accepted.
    stream = req.stream
    chunks: list[bytes] = []
    total = 0
    while total <= MAX_BODY:
        chunk = stream.read(MAX_BODY + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > MAX_BODY:
        raise APIError(413, f"body over {MAX_BODY // 1024} KiB")
    return b"".join(chunks)


def _check_origin(req: Request, site: Site) -> None:
    origin = req.environ.get("HTTP_ORIGIN")
    if origin is not None and not site.allows_origin(origin):
        raise APIError(403, "origin not allowed for this site", "origin_not_allowed")


def _cors(req: Request, site: Site) -> tuple[tuple[str, str], ...]:
    """CORS headers for the site's own origins."""
    origin = req.environ.get("HTTP_ORIGIN")
    if origin and site.allows_origin(origin):
        return (("Access-Control-Allow-Origin", origin), ("Vary", "Origin"))
    return (("Vary", "Origin"),)


def _context(app: Flask, req: Request, site: Site, drop_reason: str | None = None) -> Context:
    device = device_facts(req)
    # No location or network lookup for what is dropped anyway.
    if not device.bot_reason and drop_reason is None:
        drop_reason = request_drop_reason(req)
    return Context(
        site=site,
        device=device,
        location=client_location(req) if not (device.bot_reason or drop_reason) else None,
        now=utcnow(),
        key=app.extensions["gateway.analytics.key"],
        window_seconds=app.config["AGGREGATE_WINDOW"],
        drop_reason=drop_reason,
    )


def token_cache_key(token: str) -> bytes:
    """What the token cache is keyed by: a short hash, never the token itself."""
    return hashlib.blake2b(token.encode("utf-8", "replace"), digest_size=16).digest()


def _verified_claims(app: Flask, token: str) -> ConsentClaims | None:
    """read_token, remembered briefly (a visitor sends the same token on every page);
    the proof of consent is asked on every beacon, so a withdrawal recorded on any
    node takes effect at the very next one."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    cache: TokenCache = app.extensions["gateway.analytics.tokens"]
    now = time.monotonic()
    # Remembered by a short hash, never the string itself.
    key = token_cache_key(token)
    hit = cache.get(key)
    if hit is not None and now - hit[1] < TOKEN_CACHE_SECONDS:
        claims = hit[0]
    else:
        try:
            claims = read_token(token)
        except TokenInvalid:
            # Junk is cheap to refuse again (one HMAC) and is not remembered.
            return None
        if len(cache) >= TOKEN_CACHE_SIZE:
            cache.clear()
        cache[key] = (claims, now)
    if claims is not None and not _still_granted(app, claims):
        return None
    return claims


def _still_granted(app: Flask, claims: ConsentClaims) -> bool:
    """The proof of consent, not the cookie, decides: a withdrawn consent, or one
    given before a material policy change, no longer allows event mode."""
    query: StandingQuery = app.extensions["gateway.analytics.standing"]
    writer: CollectWriter = app.extensions["gateway.analytics.writer"]
    try:
        standing = writer.read(lambda cursor: query.run(cursor, claims.consent_id))
    except StoreUnavailable as exc:
        raise APIError(
            503, "analytics storage unavailable; send again later", headers={"Retry-After": "30"}
        ) from exc
    if standing is None or not standing.grants("analytics"):
        return False
    return standing.policy_version >= _consent_version(app)


def _consent_version(app: Flask) -> int:
    """``policy_state(...).consent_version``, remembered for POLICY_CACHE_SECONDS."""
    cache: dict[str, tuple[int, float]] = app.extensions["gateway.analytics.policy"]
    now = time.monotonic()
    hit = cache.get("consent_version")
    if hit is not None and now - hit[1] < POLICY_CACHE_SECONDS:
        return hit[0]
    version = policy_state(db.session()).consent_version
    cache["consent_version"] = (version, now)
    return version


def _consent_identity(app: Flask, req: Request, token: str | None, site: Site) -> Identity | None:
    """The consent id when this visitor granted analytics on this site, else None."""
    if not token or gpc_enabled(req):
        return None
    claims = _verified_claims(app, token)
    if claims is None:
        return None
    if claims.site != site.id or not claims.grants("analytics"):
        return None
    return Identity("consent", claims.consent_id)


def _record(
    app: Flask, req: Request, hits: list[Hit], site: Site, drop_reason: str | None = None
) -> pipeline.Outcome:
    ctx = _context(app, req, site, drop_reason)
    outcome = pipeline.process(hits, ctx)
    writer: CollectWriter = app.extensions["gateway.analytics.writer"]
    try:
        writer.write(outcome, site.id, ctx.now)
    except StoreUnavailable as exc:
        raise APIError(
            503, "analytics storage unavailable; send again later", headers={"Retry-After": "30"}
        ) from exc
    # Counted once stored, so the counter never runs ahead of the database.
    for (result, reason), count in outcome.stats.items():
        count_collect_events(result, reason, count)
    return outcome


def collect_response(app: Flask, req: Request) -> Reply:
    """POST /api/v1/collect: the banner's tracker (JSON, or text/plain from sendBeacon)."""
    if req.mimetype not in JSON_TYPES:
        raise APIError(415, "send application/json (or text/plain from sendBeacon)")
    try:
        payload = pipeline.parse_collect_payload(pipeline.decode_json(_body(req)))
    except PayloadError as exc:
        raise APIError(400, str(exc)) from exc
    site = get_site(payload.site_id)
    if site is None:
        raise APIError(404, "unknown site", "unknown_site")
    _check_origin(req, site)
    identity = _consent_identity(app, req, payload.consent_token, site)
    # The session start the tracker keeps counts only with consent: without it
    # nothing the page sends may link two visits.
    session = (
        session_key_from_start(payload.session_start, int(time.time()))
        if identity is not None
        else None
    )
    hits = [
        Hit(h.name, h.params, h.page_url, h.referrer, h.title, h.engagement_msec, identity, session)
        for h in payload.hits
    ]
    outcome = _record(app, req, hits, site, "webdriver" if payload.webdriver else None)
    answer = json.dumps(outcome.as_response()).encode()
    return Reply(202, answer, "application/json", _cors(req, site))


def gtag_response(app: Flask, req: Request) -> Reply:
    """GET|POST /g/collect: GA4 gtag.js hits, one per query or one per body line."""
    body = ""
    if req.method == "POST":
        if req.mimetype not in GTAG_TYPES:
            raise APIError(415, "gtag hits are text/plain")
        try:
            body = _body(req).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise APIError(400, "body is not UTF-8") from exc
    query = req.query_string.decode("utf-8", "replace")
    try:
        batch = pipeline.parse_gtag(query, body)
    except PayloadError as exc:
        raise APIError(400, str(exc)) from exc
    site = site_by_measurement_id(batch.measurement_id)
    if site is None:
        raise APIError(404, "unknown measurement id", "unknown_site")
    _check_origin(req, site)
    refused = gpc_enabled(req)
    hits = []
    for hit, gcs, cid in zip(batch.hits, batch.consent_states, batch.client_ids, strict=True):
        # gtag's own id is replaced by a keyed hash, and only when the hit says
        # analytics storage is granted; otherwise the hit is only counted.
        granted = bool(cid) and not refused and pipeline.gtag_grants_analytics(gcs)
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
                hit.session if identity is not None else None,
            )
        )
    _record(app, req, hits, site)
    return Reply(204, headers=_cors(req, site))


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


# The two intake routes are declared here, with their limits, like every other
# route. gateway.analytics.intake.lean answers them in front of Flask; Flask's own
# dispatch (an app mounted without the lean path) runs the same handlers, and
# tests/test_lean_intake.py holds the two to the same answers.
@bp.post("/api/v1/collect")
@limiter.limit(COLLECT_LIMIT)
@lean_handler(collect_response)
def collect() -> Response:
    app, req = current_app._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
    return collect_response(app, req).to_response()


@bp.route("/g/collect", methods=["GET", "POST"])
@limiter.limit(COLLECT_LIMIT)
@lean_handler(gtag_response)
def gtag_collect() -> Response:
    app, req = current_app._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
    return gtag_response(app, req).to_response()


def init_app_state(app: Flask) -> None:
    """Per-app state of the intake: the prepared writer, the client-id key, the caches."""
    app.extensions["gateway.analytics.writer"] = CollectWriter(
        app.extensions["gateway.db"], app.config["DATABASE_TIMEOUT"]
    )
    engine = app.extensions["gateway.db"]
    app.extensions["gateway.analytics.standing"] = StandingQuery(engine.dialect)
    app.extensions["gateway.analytics.key"] = derive_key(
        app.config.get("SECRET_KEY") or "", CLIENT_ID_KEY_PURPOSE
    )
    app.extensions["gateway.analytics.tokens"] = {}
    app.extensions["gateway.analytics.policy"] = {}
    # The dictionaries the anonymizer reads (Russian morphology, public
    # suffixes) are loaded once per process, before the first beacon, not
    # inside its time budget.
    warm_up()
