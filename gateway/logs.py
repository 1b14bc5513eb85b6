"""Logging that never carries a client address, a User-Agent or a request body."""

from __future__ import annotations

import logging

from flask import Flask


def init_app(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    app.logger.setLevel(level)
    logging.getLogger("gateway").setLevel(level)
    # The development server's request log starts with the client address.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
