"""Error responses: JSON under /api/ and /g/, friendly pages elsewhere, never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

_JSON_PREFIXES = ("/api/", "/g/")
RETRY_AFTER_SECONDS = 5

# Machine-readable codes for the statuses clients see.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class APIError(Exception):
    """Raised by views to answer with a JSON error of a given status."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _CODES.get(status, "error")
        self.headers = headers or {}


def json_error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"code": code or _CODES.get(status, "error"), "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json() -> bool:
    return request.path.startswith(_JSON_PREFIXES)


# Error pages in the visitor's language: (title, message) per status and language.
_PAGES: dict[int, dict[str, tuple[str, str]]] = {
    404: {
        "ru": ("Страница не найдена", "По этому адресу ничего нет. Проверьте ссылку."),
        "en": ("Page not found", "There is nothing at this address. Check the link."),
    },
    405: {
        "ru": ("Так нельзя", "Эта страница не принимает такой запрос."),
        "en": ("Method not allowed", "This page does not accept this kind of request."),
    },
    429: {
        "ru": ("Слишком много запросов", "Подождите немного и попробуйте ещё раз."),
        "en": ("Too many requests", "Wait a little and try again."),
    },
    500: {
        "ru": ("Ошибка на нашей стороне", "Что-то пошло не так. Попробуйте ещё раз позже."),
        "en": ("Something went wrong on our side", "Please try again later."),
    },
}


def _http_error(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    headers = dict(exc.get_headers()) if status in (405, 429) else {}
    headers.pop("Content-Type", None)
    description = exc.description or exc.name
    if status == 429:
        description = "Too many requests; try again later."
    if wants_json():
        return json_error(status, description, headers=headers)
    from gateway.i18n import request_language

    title, message = exc.name, description
    language = request_language()
    if status in _PAGES:
        title, generic = _PAGES[status][language if language in _PAGES[status] else "en"]
        # A view that said what exactly is missing keeps its words; the rest get
        # the page's own message in the visitor's language.
        custom = status != 429 and exc.description not in (None, type(exc).description)
        message = description if custom else generic
    body = render_template(
        "errors/error.html", status=status, title=title, message=message, lang=language
    )
    response = Response(body, status=status, headers=headers)
    return response


def _api_error(exc: APIError) -> Response:
    return json_error(exc.status, exc.message, exc.code, exc.headers)


def _database_unavailable(exc: Exception) -> Response | tuple[str, int]:
    """Database down, locked or out of connections: a retryable 503, never a 500.

    The transaction is rolled back, so nothing is half-written.
    """
    from gateway.extensions import db

    db.session.rollback()
    log.warning("database unavailable on %s: %s", request.url_rule, type(exc).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    message = "The service is briefly unavailable; please retry."
    if wants_json():
        return json_error(503, message, headers=headers)
    body = render_template("errors/error.html", status=503, title="Unavailable", message=message)
    return Response(body, status=503, headers=headers)


def _csrf_error(exc: CSRFError) -> Response:
    """A missing or stale form token: a page that says what to do, not a bare 400."""
    if wants_json():
        return json_error(400, exc.description or "CSRF token missing or invalid")
    from gateway.i18n import request_language

    # Back to a page that shows the form again with a fresh token.
    back = "/admin" if request.path.startswith("/admin") else request.path
    body = render_template("errors/csrf.html", status=400, language=request_language(), back=back)
    return Response(body, status=400)


def _unexpected(exc: Exception) -> Response | tuple[str, int]:
    # The message says nothing of the request: no body, no client address.
    log.exception("unhandled error on %s %s", request.method, request.url_rule or "(no route)")
    return _http_error(InternalServerError())


def json_error_for(exc: Exception, where: str) -> Response:
    """The JSON answer the handlers above give under /api/ and /g/, for code that runs
    without a request context (the lean intake path). ``where`` names the route in logs."""
    if isinstance(exc, APIError):
        return _api_error(exc)
    if isinstance(exc, HTTPException) and exc.code:
        headers = dict(exc.get_headers()) if exc.code in (405, 429) else {}
        headers.pop("Content-Type", None)
        return json_error(exc.code, exc.description or exc.name, headers=headers)
    if isinstance(exc, OperationalError | PoolTimeout):
        from gateway.extensions import db

        db.session.rollback()
        log.warning("database unavailable on %s: %s", where, type(exc).__name__)
        return json_error(
            503,
            "The service is briefly unavailable; please retry.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.error("unhandled error on %s", where, exc_info=exc)
    return json_error(500, InternalServerError.description)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(OperationalError, _database_unavailable)
    app.register_error_handler(PoolTimeout, _database_unavailable)
    app.register_error_handler(Exception, _unexpected)
