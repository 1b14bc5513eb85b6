"""Logging that never carries a client address, a User-Agent or a request body."""

from __future__ import annotations

import logging
import re

from flask import Flask


def init_app(app: Flask) -> None:
    level = getattr(logging, str(app.config["LOG_LEVEL"]).upper(), logging.INFO)
    app.logger.setLevel(level)
    logging.getLogger("gateway").setLevel(level)
    # The development server's request log starts with the client address.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


# Path segments that are secrets or identifiers: the e-mailed capability links of
# a data-subject request, and consent ids. Access logs show their place only.
_SECRET_PATHS = re.compile(
    r"^(?P<prefix>/contact/(?:sent|verify|status|data)/|/api/v1/consent/|/admin/consents/)[^/?#]+"
)


def redact_path(path: str) -> str:
    """``path`` fit for an access log: tokens and consent ids replaced by ``:redacted``."""
    return _SECRET_PATHS.sub(r"\g<prefix>:redacted", path, count=1)
