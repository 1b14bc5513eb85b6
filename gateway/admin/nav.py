"""The staff area's navigation: each face registers its pages, the layout shows them.

An entry appears when its endpoint exists and the signed-in user's role may
open it, so a face that is not installed (or a page a staff member may not
use) never shows a dead link.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from gateway.admin.models import User

NAV_KEY = "gateway.admin_nav"


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str
    order: int
    role: str = "staff"  # "staff": every signed-in user; "admin": admins only
    label_ru: str = ""  # the label on Russian staff pages (the English one when empty)

    def label_in(self, lang: str) -> str:
        return self.label_ru if lang == "ru" and self.label_ru else self.label


def register_nav(app: Flask, entry: NavEntry) -> None:
    app.extensions.setdefault(NAV_KEY, []).append(entry)


def may_open(user: User | None, role: str) -> bool:
    if user is None:
        return False
    return role == "staff" or user.role == "admin"


def entries_for(app: Flask, user: User | None) -> list[NavEntry]:
    entries = sorted(app.extensions.get(NAV_KEY, []), key=lambda e: e.order)
    return [e for e in entries if e.endpoint in app.view_functions and may_open(user, e.role)]


def nav_for_current_user() -> list[NavEntry]:
    from gateway.admin.auth import current_user

    return entries_for(current_app._get_current_object(), current_user())  # type: ignore[attr-defined]
