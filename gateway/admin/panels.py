"""Which panels the dashboard shows, in order.

Orders leave room for other faces: the consent face registers its panels
between the requests (5) and the analytics panels (30, 40).
"""

from __future__ import annotations

from flask import Flask

from gateway.admin.dashboard import register_panel
from gateway.analytics import reports as analytics_reports
from gateway.contact import reports as contact_reports
from gateway.policy import reports as policy_reports


def register_all(app: Flask) -> None:
    register_panel(app, 5, contact_reports.requests_panel)
    register_panel(app, 30, analytics_reports.intake_panel)
    register_panel(app, 40, analytics_reports.forwarding_panel)
    register_panel(app, 50, policy_reports.policy_panel)
