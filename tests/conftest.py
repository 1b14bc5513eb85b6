"""flaskr-style fixtures: ``app``, ``client``, ``runner``, run on every configured database.

Every test that uses ``app`` runs on SQLite, and again on PostgreSQL when
``GATEWAY_TEST_DATABASE_URL`` points at a database the tests may empty.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.serving import make_server

from gateway import create_app
from gateway.db import Base, make_engine
from gateway.dbcli import run_after_upgrade_hooks, upgrade
from gateway.models import import_all_models

PG_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"

TEST_SITES_TOML = """\
[sites.hottelecom]
name = "HotTelecom"
origins = ["https://hottelecom.example", "http://localhost"]
languages = ["ru", "en"]
ga_measurement_id = "G-TEST000001"
ga_api_secret = "test-api-secret"
query_allowlist = ["utm_source", "utm_medium", "utm_campaign"]

[sites.hottelecom.categories.marketing.ru]
title = "Маркетинг"
description = "Реклама услуг HotTelecom на других сайтах."

[sites.hottelecom.categories.marketing.en]
title = "Marketing"
description = "HotTelecom offers on other websites."

[sites.shop]
name = "HotTelecom Shop"
origins = ["https://shop.hottelecom.example"]
languages = ["en"]
ga_measurement_id = "G-TEST000002"
ga_api_secret = "shop-api-secret"
"""


def _migrated(url: str, instance: Path) -> None:
    """Bring a database to the head and load its initial data, as `gateway db upgrade` does."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    app = create_app(_base_config(url, instance))
    with app.app_context():
        run_after_upgrade_hooks()
    app.extensions["gateway.db"].dispose()


def _base_config(url: str, instance: Path) -> dict[str, Any]:
    instance.mkdir(parents=True, exist_ok=True)
    sites = instance / "sites.toml"
    if not sites.exists():
        sites.write_text(TEST_SITES_TOML, encoding="utf-8")
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEYS": [TEST_SECRET],
        "DATABASE_URL": url,
        "SITES_FILE": str(sites),
        "MAIL_DIR": str(instance / "mail"),
        "RATELIMIT_ENABLED": False,
        # Each app its own counters (tests build many in one process); the
        # default, one SQLite file per node, is tested where it is chosen.
        "RATELIMIT_STORAGE_URL": "memory://",
        "PUBLIC_URL": "http://localhost",
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    _migrated(f"sqlite:///{path}", folder / "instance")
    return path


@pytest.fixture(scope="session")
def postgres_ready(tmp_path_factory: pytest.TempPathFactory) -> str:
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    _migrated(PG_URL, tmp_path_factory.mktemp("pg") / "instance")
    return PG_URL


def _empty_postgres(url: str) -> None:
    import_all_models()
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_ready")
        _empty_postgres(url)
        return str(url)
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "gateway.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


AppFactory = Callable[..., Flask]


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[AppFactory]:
    """Build apps on this test's database; keyword arguments override settings."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = _base_config(database_url, tmp_path / "instance")
        config.update(overrides)
        app = create_app(config)
        with app.app_context():
            run_after_upgrade_hooks()
        made.append(app)
        return app

    yield build
    for app in made:
        app.extensions["gateway.db"].dispose()


@pytest.fixture
def app(app_factory: AppFactory) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class LiveServer:
    def __init__(self, app: Flask, host: str = "127.0.0.1") -> None:
        self.app = app
        self._server = make_server(host, 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server_factory() -> Iterator[Callable[[Flask], LiveServer]]:
    """Serve an app on a real port in a thread (for browsers and HTTP clients)."""
    servers: list[LiveServer] = []

    def start(app: Flask, host: str = "127.0.0.1") -> LiveServer:
        server = LiveServer(app, host).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # Automation sets navigator.webdriver, which the tracker reports and the
    # gateway drops; the tests stand for a person's browser.
    "--disable-blink-features=AutomationControlled",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Subdomains of one site (www., shop.) for tests of a shared cookie domain.
    "--host-resolver-rules=MAP *.hottelecom.test 127.0.0.1",
]
# Headless Chromium says "HeadlessChrome" in its User-Agent, which the gateway
# rightly drops as a bot; browser tests present the UA of a regular Chrome.
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        if IN_CI:
            pytest.fail("Chromium is not installed; .ci/run must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
