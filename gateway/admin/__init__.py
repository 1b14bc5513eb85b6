"""Admin face: staff dashboard and operations commands."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from gateway.admin import panels, stats

    panels.register_all(app)
    app.cli.add_command(stats.stats_command)
