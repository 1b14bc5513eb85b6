"""Error pages speak the visitor's language (ru/en, from Accept-Language or ?lang)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from flask import Flask

from gateway.ops import views as ops_views
from gateway.ops.views import FAVICON_MAX_AGE
from tests.conftest import AppFactory


def test_404_and_405_pages_in_the_visitors_language(app: Flask) -> None:
    client = app.test_client()
    ru = client.get("/no-such-page", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert ru.status_code == 404
    page = ru.get_data(as_text=True)
    assert "Страница не найдена" in page
    assert '<html lang="ru">' in page
    en = client.get("/no-such-page", headers={"Accept-Language": "en-GB"})
    assert "Page not found" in en.get_data(as_text=True)
    wrong = client.delete("/privacy?lang=ru")
    assert wrong.status_code == 405
    assert "Эта страница не принимает такой запрос" in wrong.get_data(as_text=True)
    assert "Allow" in wrong.headers


@pytest.mark.parametrize(
    ("language", "title", "when"),
    [
        ("ru", "Слишком много запросов", "через 60 секунд"),
        ("en", "Too many requests", "in 60 seconds"),
    ],
)
def test_429_page_in_the_visitors_language(
    app_factory: AppFactory, language: str, title: str, when: str
) -> None:
    client = app_factory(RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False).test_client()
    headers = {"Accept-Language": language}
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        # A confirmation link may be pressed ten times a minute, valid or not.
        for _ in range(10):
            assert client.post("/contact/verify/not-a-token", headers=headers).status_code != 429
        refused = client.post("/contact/verify/not-a-token", headers=headers)
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert refused.headers["Retry-After"] == "60"
    page = unescape(refused.get_data(as_text=True))
    assert f'<html lang="{language}">' in page
    assert f"<h1>{title}</h1>" in page
    assert when in page


SECRET_DETAIL = "password=hunter2 at /srv/gateway/secret_module.py"


def _broken_front_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode() -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(ops_views, "all_sites", explode)


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("language", "title"),
    [("ru", "Ошибка на нашей стороне"), ("en", "Something went wrong on our side")],
)
def test_500_page_in_the_visitors_language_without_a_traceback(
    app_factory: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    language: str,
    title: str,
    debug: bool,
) -> None:
    app = app_factory(PROPAGATE_EXCEPTIONS=False)
    # Even with debugging switched on, the visitor sees the page, never the exception.
    app.debug = debug
    _broken_front_page(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="gateway.errors"):
        failed = app.test_client().get("/", headers={"Accept-Language": language})
    assert failed.status_code == 500
    assert failed.mimetype == "text/html"
    page = unescape(failed.get_data(as_text=True))
    assert f'<html lang="{language}">' in page
    assert f"<h1>{title}</h1>" in page
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret_module", "explode", 'File "'):
        assert leak not in page
    # The operator still finds it in the log.
    assert any(
        record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records
    )


def test_500_under_the_api_is_json_without_details(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    def explode(*_args: object) -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(ops_views, "openapi_document", explode)
    failed = app.test_client().get("/api/v1/openapi.json")
    assert failed.status_code == 500
    assert failed.get_json()["error"]["code"] == "internal_error"
    assert "hunter2" not in failed.get_data(as_text=True)


def test_favicon_is_hottelecoms_svg_cached_and_linked_from_every_layout(app: Flask) -> None:
    client = app.test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    body = icon.get_data(as_text=True)
    assert body.startswith("<svg")
    assert "#c2410c" in body  # the site's accent colour
    assert len(icon.get_data()) < 1024
    assert icon.cache_control.max_age == FAVICON_MAX_AGE
    assert icon.cache_control.public
    link = '<link rel="icon" type="image/svg+xml" href="/favicon.ico">'
    # A visitor page, an error page and the staff sign-in all link it.
    for path in ("/", "/privacy", "/no-such-page", "/admin/login"):
        page = client.get(path, base_url="https://localhost").get_data(as_text=True)
        assert link in page, path
