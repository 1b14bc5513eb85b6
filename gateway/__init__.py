"""HotTelecom privacy gateway."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load configuration, bind extensions, register the faces."""
    # Tests give each app its own instance folder so a developer's
    # instance/gateway.toml never leaks into them.
    instance_path = (test_config or {}).get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    from gateway import (
        admin,
        analytics,
        clientinfo,
        config,
        consent,
        contact,
        errors,
        logs,
        metrics,
        ops,
        policy,
        ratelimits,
        retention,
        security,
        sites,
        templating,
    )
    from gateway.extensions import csrf, db

    config.load(app, test_config)
    logs.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    ratelimits.init_app(app)
    security.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    sites.init_app(app)
    retention.init_app(app)
    templating.init_app(app)
    for face in (ops, policy, consent, analytics, contact, admin):
        face.init_app(app)
    # Outermost: ProxyFix decides the client address before anything reads it,
    # the analytics face's lean intake path included.
    clientinfo.init_app(app)
    return app
