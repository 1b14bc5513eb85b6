"""Operations face: liveness, readiness and the demo host page."""

from __future__ import annotations

from flask import Flask

from gateway.ops.views import bp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
