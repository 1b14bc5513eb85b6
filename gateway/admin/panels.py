"""Which panels the dashboard shows, in order: deadlines first, then consent,
analytics, forwarding and the policy."""

from __future__ import annotations

from flask import Flask

from gateway.admin.dashboard import register_panel
from gateway.analytics import reports as analytics_reports
from gateway.consent import reports as consent_reports
from gateway.contact import reports as contact_reports
from gateway.policy import reports as policy_reports


def register_all(app: Flask) -> None:
    register_panel(app, 5, contact_reports.requests_panel)
    register_panel(app, 10, consent_reports.consent_panel)
    register_panel(app, 30, analytics_reports.intake_panel)
    register_panel(app, 40, analytics_reports.forwarding_panel)
    register_panel(app, 50, policy_reports.policy_panel)
