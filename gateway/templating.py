"""Values every template may use."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from gateway.i18n import request_language


def _template_globals() -> dict[str, Any]:
    return {
        "lang": request_language(),
        "contact_email": current_app.config["CONTACT_EMAIL"],
    }


def init_app(app: Flask) -> None:
    app.context_processor(_template_globals)
