"""Rate-limit storage, switch and answers; the limits themselves sit next to their routes.

Each app gets its own limiter (``gateway.extensions.AppLimiter``): storage from
RATELIMIT_STORAGE_URL (memory, or Redis shared by several nodes), an in-memory
fallback when Redis is away, and limiter errors swallowed so that a storage
problem never turns into a 500. A refused request gets a 429 with the exact
``Retry-After`` (seconds until every used-up limit of the route has room again), the
``X-RateLimit-*`` headers, and a JSON error under /api/ and /g/ or a page in
the visitor's language elsewhere (faces with a form re-show it instead, with
what was typed; see ``over_limit_response``).
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from flask_limiter._limits import RuntimeLimit
from flask_limiter.util import get_qualified_name

from gateway.errors import json_error, wants_json
from gateway.extensions import app_limiter, limiter
from gateway.i18n import plural, request_language

log = logging.getLogger(__name__)

# Flask-Limiter writes its own Retry-After guess (truncated, and folded into
# any Retry-After the app set, e.g. the database 503's) under this name; it is
# dropped, and 429s carry the value computed here.
_LIMITER_RETRY_AFTER = "X-Gateway-Limiter-Retry-After"
# Redis must answer fast or be treated as away (the in-memory fallback takes over).
REDIS_TIMEOUT_SECONDS = 0.5

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def init_app(app: Flask) -> None:
    url = app.config["RATELIMIT_STORAGE_URL"]
    app.config["RATELIMIT_STORAGE_URI"] = url
    app.config["RATELIMIT_HEADERS_ENABLED"] = True
    app.config["RATELIMIT_HEADER_RETRY_AFTER"] = _LIMITER_RETRY_AFTER
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "gateway")
    # A broken Redis must not take the site down: fall back to memory, and
    # log (never raise) whatever else the storage throws mid-request.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    if url.startswith("redis"):  # redis://, rediss://, redis+unix://, …
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        )
    if app.config["RATELIMIT_ENABLED"]:
        # Registered before the limiter's own hook, so it runs after it.
        app.after_request(_drop_limiter_retry_after)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    limiter.init_app(app)


def _drop_limiter_retry_after(response: Response) -> Response:
    response.headers.pop(_LIMITER_RETRY_AFTER, None)
    return response


def route_limits(app: Flask, endpoint: str, method: str) -> list[RuntimeLimit]:
    """The limits declared for ``endpoint`` that apply to ``method`` requests."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return []
    manager = limiter.limit_manager
    limits = manager.decorated_limits(get_qualified_name(view))
    blueprint = endpoint.rpartition(".")[0]
    if blueprint:
        limits += manager.blueprint_limits(app, blueprint)
    return [lim for lim in limits if lim.methods is None or method.lower() in lim.methods]


def describe(limits: list[RuntimeLimit]) -> list[str]:
    """Readable limit strings, e.g. ``5 per 1 minute``; shared limits name their scope."""
    described = []
    for lim in limits:
        text = str(lim.limit)
        if lim.shared and isinstance(lim.scope, str):
            text += f" (shared: {lim.scope})"
        described.append(text)
    return described


def retry_after_seconds() -> int:
    """Whole seconds until every limit of this request that is used up has room again."""
    own = app_limiter(current_app)
    endpoint = request.endpoint or ""
    now = time.time()
    resets: list[float] = []
    try:
        resets += [lim.window[0] for lim in own.current_limits if lim.breached]
        for lim in route_limits(current_app, endpoint, request.method):
            args = [lim.key_func(), lim.scope_for(endpoint, request.method)]
            if own._key_prefix:
                args.insert(0, own._key_prefix)
            reset, remaining = own.limiter.get_window_stats(lim.limit, *args)
            if remaining <= 0:
                resets.append(reset)
    except Exception:
        # Storage gone between the check and here: what was read still counts.
        log.warning("rate-limit storage unreadable while computing Retry-After")
    if not resets:
        return 1
    return max(1, math.ceil(max(resets) - now))


_UNITS = {
    "en": ((3600, "hour", "hours", "hours"), (60, "minute", "minutes", "minutes")),
    "ru": ((3600, "час", "часа", "часов"), (60, "минуту", "минуты", "минут")),
}
_SECONDS = {"en": ("second", "seconds", "seconds"), "ru": ("секунду", "секунды", "секунд")}


def wait_phrase(seconds: int, lang: str) -> str:
    """``in 2 minutes`` / ``через 2 минуты``: a wait rounded up to a unit people use."""
    prefix = "через" if lang == "ru" else "in"
    for size, one, few, many in _UNITS.get(lang, _UNITS["en"]):
        if seconds >= size * 2 or (size == 60 and seconds > 90):
            count = math.ceil(seconds / size)
            return f"{prefix} {count} {plural(count, (one, few, many), lang)}"
    return f"{prefix} {seconds} {plural(seconds, _SECONDS.get(lang, _SECONDS['en']), lang)}"


_PAGE = {
    "ru": (
        "Слишком много запросов",
        "С вашего адреса пришло слишком много запросов. Ваш запрос не выполнен, "
        "ничего не сохранено. Попробуйте ещё раз {when}.",
    ),
    "en": (
        "Too many requests",
        "Too many requests came from your address. Yours was not carried out and "
        "nothing was saved. Please try again {when}.",
    ),
}


def over_limit_response(body: str, seconds: int) -> Response:
    """A 429 page with its Retry-After (faces that re-show their form use this)."""
    return Response(body, status=429, headers={"Retry-After": str(seconds)})


def rate_limited_message(seconds: int) -> str:
    return f"Too many requests; try again in {seconds} seconds."


def too_many_requests(exc: RateLimitExceeded) -> Response:
    """The 429: JSON under /api/ and /g/, otherwise a page saying when to try again."""
    seconds = retry_after_seconds()
    if wants_json():
        return json_error(429, rate_limited_message(seconds), headers={"Retry-After": str(seconds)})
    lang = request_language()
    title, message = _PAGE[lang]
    body = render_template(
        "errors/error.html",
        status=429,
        title=title,
        message=message.format(when=wait_phrase(seconds, lang)),
        lang=lang,
    )
    return over_limit_response(body, seconds)
