"""Consent face."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Registered by create_app; the face's blueprint and commands are bound here."""
