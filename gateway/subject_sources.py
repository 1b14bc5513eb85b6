"""Where the gateway keeps personal data about a data subject: one source per face.

Each face that stores personal data registers a source from its ``init_app``:

    register_subject_data(app, "consent", export=fn, erase=fn)

``export(session, email, consent_ids) -> list[dict]`` returns that face's
records for the subject; ``erase(session, email, consent_ids) -> int``
deletes or anonymizes them and returns how many records it touched. The
consent face keys its records by consent id, which requesters give on the
form; the contact face keys them by e-mail. The contact face's request
workflow reads them all (``gateway.contact.subject_data``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

SOURCES_KEY = "gateway.subject_data"

ExportFn = Callable[[Session, str, Sequence[str]], list[dict[str, Any]]]
EraseFn = Callable[[Session, str, Sequence[str]], int]


@dataclass(frozen=True)
class SubjectDataSource:
    name: str
    export: ExportFn
    erase: EraseFn


def register_subject_data(app: Flask, name: str, *, export: ExportFn, erase: EraseFn) -> None:
    sources: dict[str, SubjectDataSource] = app.extensions.setdefault(SOURCES_KEY, {})
    if name in sources:
        raise ValueError(f"subject data source {name!r} is registered twice")
    sources[name] = SubjectDataSource(name, export, erase)


def registered_sources(app: Flask) -> list[SubjectDataSource]:
    return list(app.extensions.get(SOURCES_KEY, {}).values())
