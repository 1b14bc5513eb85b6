from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AppFactory


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_when_migrated(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ready"


def test_readyz_explains_an_unmigrated_database(app_factory: AppFactory, tmp_path: Path) -> None:
    app = app_factory(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert "gateway db upgrade" in response.get_json()["reason"]


def test_readyz_explains_an_unreachable_database(app_factory: AppFactory) -> None:
    app = app_factory(DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"].startswith("database unreachable")


def test_api_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"]


def test_page_errors_are_friendly_html(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "404" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_method_not_allowed_is_json_with_allow(client: FlaskClient) -> None:
    response = client.delete("/healthz")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_a_clean_500_without_details(app: Flask) -> None:
    @app.get("/api/v1/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_gunicorn_access_log_has_no_client_details() -> None:
    conf = (Path(__file__).resolve().parent.parent / "gunicorn.conf.py").read_text()
    fmt = re.search(r"access_log_format = (.+)", conf)
    assert fmt
    for forbidden in ("%(h)s", "%(a)s", "%(r)s", "%(q)s", "%(f)s", "%({x-forwarded-for}i)s"):
        assert forbidden not in fmt.group(1)


def test_database_down_is_a_retryable_503(app_factory: AppFactory) -> None:
    import sqlalchemy as sa

    from gateway.extensions import db

    app = app_factory(DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:9/none")

    @app.get("/api/v1/needs-db")
    def needs_db() -> str:
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    @app.get("/needs-db")
    def page_needs_db() -> str:
        db.session.execute(sa.text("SELECT 1"))
        return "unreachable"

    client = app.test_client()
    api = client.get("/api/v1/needs-db")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.get_json()["error"]["code"] == "unavailable"
    page = client.get("/needs-db")
    assert page.status_code == 503
    assert "retry" in page.get_data(as_text=True)


def test_front_page_links_every_face(client: FlaskClient) -> None:
    page = client.get("/?lang=ru").get_data(as_text=True)
    for href in (
        'href="/privacy?lang=ru"',
        'href="/contact?lang=ru"',
        'href="/demo"',
        'href="/admin"',
    ):
        assert href in page
    assert "Политика конфиденциальности" in page
    assert "Privacy policy" in client.get("/?lang=en").get_data(as_text=True)


def test_demo_names_its_language_in_the_tag(client: FlaskClient) -> None:
    # The page's language and the banner's are one, so no hand-over request follows.
    for header, lang in (("ru-RU,ru;q=0.9", "ru"), ("en-US,en;q=0.9", "en"), ("de-DE", "en")):
        page = client.get("/demo", headers={"Accept-Language": header}).get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        assert re.search(rf'<script src="/c/hottelecom\.js\?lang={lang}" async nonce=', page)
    page = client.get("/demo?lang=en", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="en">' in page
