"""GA4 sessions and engaged time for consented visitors, as GA's own tag keeps them.

A session is what the page says it is, within bounds: the banner's tracker keeps
the start of the visitor's session in the browser (only while analytics is
granted; a new one after 30 minutes without activity) and sends it as
``session_start``; gtag.js and GA4 clients send their own ``sid``. The gateway
never forwards either value: GA receives a keyed hash of (visitor, session
start), a number shaped like GA's session ids, so a new session start gives a
new ``session_id`` and nothing links it to the visitor's previous ones except
the client id they share by consent. A page that sends no session start (an
integration of its own) gets one session per visitor and UTC day.

Pure functions; the keyed hashing lives in the anonymizer.
"""

from __future__ import annotations

SESSION_TIMEOUT_SECONDS = 30 * 60
# A session start the page gives is believed within these bounds of the receipt.
MAX_SESSION_AGE_SECONDS = 7 * 24 * 3600
MAX_CLOCK_SKEW_SECONDS = 300
MAX_SESSION_TOKEN_DIGITS = 20

# Engaged time GA4 counts for an event: at least 1 ms (an event without any
# is missing from Realtime), at most an hour per event.
MIN_ENGAGEMENT_MSEC = 1
MAX_ENGAGEMENT_MSEC = 3_600_000
# gtag's user_engagement is reserved by GA: its engaged time travels under this name.
ENGAGEMENT_EVENT = "page_engagement"
RESERVED_ENGAGEMENT_EVENT = "user_engagement"


def session_key_from_start(value: object, now_seconds: int) -> str | None:
    """The tracker's ``session_start`` (Unix seconds) when plausible, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        return None
    start = int(value)
    if not now_seconds - MAX_SESSION_AGE_SECONDS <= start <= now_seconds + MAX_CLOCK_SKEW_SECONDS:
        return None
    return f"s{start}"


def session_key_from_gtag(sid: str) -> str | None:
    """gtag's ``sid`` (its session start, or a GA4 client's random session number)."""
    if not sid or len(sid) > MAX_SESSION_TOKEN_DIGITS or not sid.isascii() or not sid.isdigit():
        return None
    return f"g{sid}"


def day_session_key(day: str) -> str:
    """The session of a visitor who sent no session start: one per UTC day."""
    return f"d{day}"


def engagement_msec(measured: object) -> int | None:
    """Engaged time a page reported, bounded; None when it reported none."""
    if isinstance(measured, bool) or not isinstance(measured, (int, float)):
        return None
    if measured != measured or measured <= 0:
        return None
    return int(min(measured, MAX_ENGAGEMENT_MSEC))


def forwarded_engagement(measured: int | None) -> int:
    """What an event carries to GA: the measured time, or GA's 1 ms minimum."""
    return max(measured or 0, MIN_ENGAGEMENT_MSEC)


def event_name(name: str) -> str:
    """gtag's reserved user_engagement becomes an event GA accepts, with its time."""
    return ENGAGEMENT_EVENT if name == RESERVED_ENGAGEMENT_EVENT else name
