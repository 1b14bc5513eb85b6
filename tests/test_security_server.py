"""The production stack as deployed: gunicorn with gunicorn.conf.py, and the nginx example.

gunicorn runs the real ``wsgi:app`` on a free port with one trusted proxy hop:
its Server header names no version, X-Forwarded-Proto from the proxy turns
HSTS on, and its access log carries no capability token or consent id.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from gateway import PROJECT_ROOT
from gateway.logs import redact_path
from tests.cluster_support import free_port, served_gunicorn
from tests.conftest import TEST_SECRET, TEST_SITES_TOML, AppFactory

SECRET_TOKEN = "eyJyIjoxfQ.SecretCapabilityToken.abc123"
CONSENT_ID = "k3df-9wqa-72mz-lbte"


class Gunicorn:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log


@pytest.fixture
def gunicorn(database_url: str, app_factory: AppFactory, tmp_path: Path) -> Iterator[Gunicorn]:
    app_factory()  # the database as `gateway db upgrade` leaves it (policy version 1)
    sites = tmp_path / "sites.toml"
    sites.write_text(TEST_SITES_TOML, encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": TEST_SECRET,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_SITES_FILE": str(sites),
        "GATEWAY_MAIL_DIR": str(tmp_path / "mail"),
        "GATEWAY_TRUSTED_PROXIES": "1",
        "GATEWAY_RATELIMIT_ENABLED": "false",
    }
    log = tmp_path / "gunicorn.log"
    with served_gunicorn(["-b", f"127.0.0.1:{port}", "-w", "1"], env, log) as url:
        yield Gunicorn(url, log)


def test_gunicorn_answers_with_the_baseline_and_no_version(gunicorn: Gunicorn) -> None:
    plain = requests.get(f"{gunicorn.url}/privacy", timeout=10)
    assert plain.status_code == 200
    assert plain.headers["Server"] == "gunicorn"
    assert "Strict-Transport-Security" not in plain.headers
    assert "'nonce-" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    # One trusted hop: the proxy's X-Forwarded-Proto is believed.
    proxied = requests.get(
        f"{gunicorn.url}/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=10
    )
    assert proxied.headers["Strict-Transport-Security"].startswith("max-age=")


def test_gunicorn_access_log_has_no_tokens(gunicorn: Gunicorn) -> None:
    for path in (
        f"/contact/status/{SECRET_TOKEN}",
        f"/contact/verify/{SECRET_TOKEN}",
        f"/api/v1/consent/{CONSENT_ID}",
    ):
        assert requests.get(gunicorn.url + path, timeout=10).status_code < 500
    deadline = time.monotonic() + 10
    while "/api/v1/consent/" not in gunicorn.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "no access log line"
        time.sleep(0.1)
    log = gunicorn.log.read_text(errors="replace")
    assert "SecretCapabilityToken" not in log
    assert CONSENT_ID not in log
    assert '"GET /contact/status/:redacted"' in log
    assert '"GET /api/v1/consent/:redacted"' in log


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/contact/status/abc.def", "/contact/status/:redacted"),
        ("/contact/sent/abc", "/contact/sent/:redacted"),
        ("/contact/data/abc.def.json", "/contact/data/:redacted"),
        ("/contact/status/abc.def/renew", "/contact/status/:redacted/renew"),
        ("/contact/verify/abc", "/contact/verify/:redacted"),
        ("/api/v1/consent/k3df-9wqa", "/api/v1/consent/:redacted"),
        ("/admin/consents/k3df.json", "/admin/consents/:redacted"),
        ("/admin/consents", "/admin/consents"),
        ("/contact", "/contact"),
        ("/privacy/v/2", "/privacy/v/2"),
    ],
)
def test_redacted_paths(path: str, logged: str) -> None:
    assert redact_path(path) == logged


def test_nginx_example_passes_one_hop_and_leaks_nothing() -> None:
    conf = (PROJECT_ROOT / "deploy" / "nginx.conf.example").read_text(encoding="utf-8")
    assert re.search(r"^server_tokens off;", conf, re.MULTILINE)
    # The client's X-Forwarded-For is replaced, never appended to.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf
    log_format = re.search(r"log_format gateway_privacy (.+);", conf)
    assert log_format
    for leak in ("$remote_addr", "$http_user_agent", "$request_uri", "$args", "$request ", " $uri"):
        assert leak not in log_format.group(1), leak
    assert "$gateway_logged_uri" in log_format.group(1)
    # The plain-HTTP server redirects to the configured name, not the Host header.
    assert "return 301 https://$host" not in conf
