"""Alembic environment: runs against the engine handed over by `gateway db upgrade`."""

from __future__ import annotations

from alembic import context

from gateway.db import Base
from gateway.models import import_all_models

import_all_models()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations with `gateway db upgrade`")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


run_migrations_online()
