"""Language choice shared by every face: ``?lang=`` first, then Accept-Language.

On the staff pages a signed-in staff member's own choice (stored on their account
and put in ``g.staff_language`` by the staff shell) comes before Accept-Language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import g, request

FALLBACK = "en"
LANGUAGES = ("ru", "en")


def pick_language(
    requested: str | None,
    accepted: Iterable[tuple[str, float]],
    available: Sequence[str],
    fallback: str = FALLBACK,
) -> str:
    """The best of ``available`` for a visitor; ``fallback`` when nothing matches."""
    if requested:
        code = requested.strip().lower()[:2]
        if code in available:
            return code
    for value, _quality in accepted:
        code = value.strip().lower()[:2]
        if code in available:
            return code
    if fallback in available or not available:
        return fallback
    return available[0]


def request_language(available: Sequence[str] = LANGUAGES) -> str:
    """The language for this request's page (views only)."""
    requested = request.args.get("lang")
    chosen = g.get("staff_language")
    if not requested and isinstance(chosen, str) and chosen in available:
        return chosen
    return pick_language(requested, request.accept_languages, available)


def plural(number: int, forms: tuple[str, str, str], lang: str) -> str:
    """The form of a noun for ``number``: English one/other, Russian one/few/many."""
    if lang != "ru":
        return forms[0] if number == 1 else forms[1]
    if number % 10 == 1 and number % 100 != 11:
        return forms[0]
    if number % 10 in (2, 3, 4) and number % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]
