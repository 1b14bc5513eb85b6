"""Where Alembic and the tests find every table: each face keeps its models in its own package."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "gateway.admin.models",
    "gateway.analytics.models",
    "gateway.analytics.forwarding.models",
    "gateway.consent.models",
    "gateway.policy.models",
    "gateway.contact.models",
    "gateway.mail",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
