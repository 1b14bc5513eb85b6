"""Intake endpoints: the banner's tracker (/api/v1/collect) and gtag.js hits (/g/collect).

Views parse the request, reduce the client to coarse facts through
``gateway.clientinfo``, check consent, and hand plain data to the pipeline.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from gateway.analytics import intake
from gateway.analytics.anonymizer import derive_key
from gateway.analytics.intake import Context, Hit, Identity, PayloadError
from gateway.analytics.store import CollectWriter
from gateway.clientinfo import client_location, device_facts, gpc_enabled
from gateway.consent.tokens import TokenInvalid, read_token
from gateway.errors import APIError
from gateway.extensions import limiter
from gateway.metrics import COLLECT_EVENTS
from gateway.sites import Site, all_sites, get_site, site_by_measurement_id
from gateway.timeutil import utcnow

bp = Blueprint("analytics", __name__)

MAX_BODY = 64 * 1024
JSON_TYPES = frozenset({"application/json", "text/plain"})
GTAG_TYPES = frozenset({"", "text/plain", "application/x-www-form-urlencoded"})
# Generous: one office behind one NAT address sends many visitors' hits.
COLLECT_LIMIT = "1200 per minute"
CLIENT_ID_KEY_PURPOSE = "hottelecom.gateway.analytics.client-id.v1"


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


def _cors(response: Response, site: Site | None) -> Response:
    origin = request.headers.get("Origin")
    if origin and site is not None and site.allows_origin(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
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


def _consent_identity(token: str | None, site: Site) -> Identity | None:
    """The consent id when this visitor granted analytics on this site, else None."""
    if not token or gpc_enabled():
        return None
    try:
        claims = read_token(token)
    except TokenInvalid:
        return None
    if claims.site != site.id or not claims.grants("analytics"):
        return None
    return Identity("consent", claims.consent_id)


def _record(hits: list[Hit], site: Site) -> intake.Outcome:
    ctx = _context(site)
    outcome = intake.process(hits, ctx)
    _writer().write(outcome, site.id, ctx.now)
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
    return _cors(jsonify(outcome.as_response()), site), 202


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


def init_app_state(app_extensions: dict[str, object], engine: object, secret: str) -> None:
    """Per-app state of the intake: the prepared writer and the client-id key."""
    from sqlalchemy.engine import Engine

    assert isinstance(engine, Engine)
    app_extensions["gateway.analytics.writer"] = CollectWriter(engine)
    app_extensions["gateway.analytics.key"] = derive_key(secret, CLIENT_ID_KEY_PURPOSE)
