from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from gateway.ops import readiness
from gateway.sites import all_sites

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    reason = readiness.check(current_app.extensions["gateway.db"])
    if reason:
        return jsonify({"status": "unavailable", "reason": reason}), 503
    return jsonify({"status": "ready"})


@bp.get("/demo")
def demo() -> ResponseReturnValue:
    """A page standing in for a HotTelecom site: it embeds the banner with one tag."""
    sites = all_sites()
    site_id = "hottelecom" if "hottelecom" in sites else next(iter(sites), None)
    return render_template("ops/demo.html", site_id=site_id)
