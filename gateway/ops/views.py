from __future__ import annotations

import hmac
import json

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from flask.typing import ResponseReturnValue

from gateway.errors import json_error
from gateway.i18n import request_language
from gateway.metrics import metrics_response
from gateway.ops import readiness
from gateway.ops.openapi import openapi_document
from gateway.sites import all_sites

bp = Blueprint("ops", __name__)

OPENAPI_KEY = "gateway.ops.openapi_json"
# The favicon changes with a release at most: browsers may keep it for a day.
FAVICON_MAX_AGE = 86400


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """HotTelecom's icon (SVG) where browsers look for it unasked; every layout links it."""
    assert current_app.static_folder is not None
    response = send_from_directory(
        current_app.static_folder,
        "img/favicon.svg",
        mimetype="image/svg+xml",
        max_age=FAVICON_MAX_AGE,
    )
    response.cache_control.public = True
    return response


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    reason = readiness.check(
        current_app.extensions["gateway.db"],
        min(current_app.config["DATABASE_TIMEOUT"], readiness.LOCK_WAIT),
    )
    if reason:
        return jsonify({"status": "unavailable", "reason": reason}), 503
    return jsonify({"status": "ready"})


@bp.get("/demo")
def demo() -> ResponseReturnValue:
    """A page standing in for a HotTelecom site: it embeds the banner with one tag."""
    sites = all_sites()
    site_id = "hottelecom" if "hottelecom" in sites else next(iter(sites), None)
    # The page names its language in the tag, as a site with several languages should,
    # so the banner comes in one response and matches <html lang>.
    lang = request_language(sites[site_id].languages) if site_id else request_language()
    return render_template("ops/demo.html", site_id=site_id, lang=lang)


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus exposition; behind a bearer token when METRICS_TOKEN is set."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return json_error(
                401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
    return metrics_response(current_app._get_current_object())  # type: ignore[attr-defined]


@bp.get("/api/v1/openapi.json")
def openapi() -> ResponseReturnValue:
    """The API contract (OpenAPI 3.1), cached per process: it changes only with the code."""
    body = current_app.extensions.get(OPENAPI_KEY)
    if body is None:
        body = current_app.extensions[OPENAPI_KEY] = json.dumps(
            openapi_document(current_app), ensure_ascii=False, indent=1
        )
    response = Response(body, mimetype="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/")
def index() -> ResponseReturnValue:
    """The gateway's own front page: where each face lives."""
    return render_template("ops/index.html", sites=sorted(all_sites().values(), key=lambda s: s.id))
