"""The migrations build exactly the schema the models describe, to a single head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask

from gateway.db import Base
from gateway.dbcli import current_revisions, head_revisions
from gateway.models import import_all_models


def test_one_head_and_the_database_is_at_it(app: Flask) -> None:
    heads = head_revisions()
    assert len(heads) == 1
    assert current_revisions(app.extensions["gateway.db"]) == heads


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    import_all_models()
    engine = app.extensions["gateway.db"]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
