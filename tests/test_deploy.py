"""deploy/: the production gunicorn settings, the systemd units' commands, and the
nginx example run for real in front of a live gateway (exactly one trusted hop)."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import urllib3
from flask import Flask

from gateway import PROJECT_ROOT
from tests.conftest import DESKTOP_UA, AppFactory, LiveServer
from tests.test_collect import KNOWN_IP, body, rows
from tests.test_collect import geoip_db as geoip_db  # the fixture

DEPLOY = PROJECT_ROOT / "deploy"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl")
SERVER_NAME = "privacy.hottelecom.example"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


needs_nginx = pytest.mark.skipif(
    not (Path(NGINX).exists() and OPENSSL) and not _in_ci(),
    reason="nginx and openssl are not installed (.ci/run installs them)",
)


def test_production_gunicorn_settings_keep_the_private_access_log() -> None:
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    base = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert settings["access_log_format"] == base["access_log_format"]
    for leak in ("%(h)s", "%(a)s", "%(f)s", "%(r)s", "%(q)s"):
        assert leak not in settings["access_log_format"]
    assert settings["logger_class"].__name__ == "PrivacyLogger"
    assert settings["child_exit"] is not None
    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["workers"] == (os.cpu_count() or 1) + 1
    # Threaded workers with a header deadline (tests/test_server_node.py).
    assert settings["worker_class"] == "gateway.server.HeaderTimeoutWorker"
    assert settings["threads"] == 8
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_production_gunicorn_settings_load_in_gunicorn(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": "deploy-check-key-0123456789abcdef",
        "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
    }
    checked = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "--check-config",
            "-c",
            str(DEPLOY / "gunicorn.conf.py"),
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


def _unit_commands() -> list[tuple[str, list[str]]]:
    commands = []
    for unit in sorted(DEPLOY.glob("*.service")):
        for line in unit.read_text(encoding="utf-8").splitlines():
            match = re.match(r"Exec(Start|StartPre)=(\S+)(.*)", line)
            if match:
                commands.append((unit.name, [match.group(2), *match.group(3).split()]))
    return commands


@pytest.mark.parametrize(("unit", "command"), _unit_commands(), ids=lambda v: str(v))
def test_units_run_commands_that_exist(unit: str, command: list[str]) -> None:
    """Each unit's command, with the venv of /opt/gateway mapped to this checkout's."""
    program = Path(command[0]).name
    assert command[0] == f"/opt/gateway/.venv/bin/{program}", unit
    arguments = [
        str(PROJECT_ROOT / a.removeprefix("/opt/gateway/")) if a.startswith("/opt/gateway/") else a
        for a in command[1:]
    ]
    if program == "gunicorn":
        config = arguments[arguments.index("-c") + 1]
        assert Path(config).exists(), unit
        return
    assert program == "gateway", unit
    subcommand = [a for a in arguments if not a.startswith("-")]
    shown = subprocess.run(
        [str(BIN / "gateway"), *subcommand, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "GATEWAY_SECRET_KEYS": "unit-check-key-0123456789abcdef"},
    )
    assert shown.returncode == 0, (unit, shown.stderr)
    for option in (a for a in arguments if a.startswith("--")):
        assert option in shown.stdout, (unit, option)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nginx_config(work: Path, upstream_port: int, https_port: int, http_port: int) -> Path:
    """The example as shipped, with only ports, certificate and log paths moved into ``work``."""
    subprocess.run(
        [
            str(OPENSSL),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={SERVER_NAME}",
            "-keyout",
            str(work / "site.key"),
            "-out",
            str(work / "site.crt"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    example = (DEPLOY / "nginx.conf.example").read_text(encoding="utf-8")
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        f"/etc/ssl/private/{SERVER_NAME}.crt": str(work / "site.crt"),
        f"/etc/ssl/private/{SERVER_NAME}.key": str(work / "site.key"),
        "/var/log/nginx/gateway.access.log": str(work / "access.log"),
    }
    for old, new in replacements.items():
        assert old in example, old
        example = example.replace(old, new)
    (work / "gateway.conf").write_text(example, encoding="utf-8")
    temp = "\n".join(
        f"    {kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = work / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""worker_processes 1;
error_log {work / "error.log"};
pid {work / "nginx.pid"};
events {{}}
http {{
{temp}
    include {work / "gateway.conf"};
}}
""",
        encoding="utf-8",
    )
    return main


@pytest.fixture
def nginx_front(
    app_factory: AppFactory,
    geoip_db: str,
    live_server_factory: Callable[[Flask], LiveServer],
    tmp_path: Path,
) -> Iterator[tuple[str, str, Path, Flask]]:
    app = app_factory(GEOIP_DB=geoip_db, TRUSTED_PROXIES=1)
    server = live_server_factory(app)
    work = tmp_path / "nginx"
    work.mkdir()
    https_port, http_port = _free_port(), _free_port()
    main = _nginx_config(work, server.port, https_port, http_port)
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(main), "-p", str(work)], capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen(
        [NGINX, "-c", str(main), "-p", str(work), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", https_port)) == 0:
                break
        assert nginx.poll() is None, "nginx exited"
        assert time.monotonic() < deadline, "nginx did not start"
        time.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", work, app
    finally:
        nginx.send_signal(signal.SIGQUIT)
        try:
            nginx.wait(timeout=10)
        except subprocess.TimeoutExpired:
            nginx.kill()


@needs_nginx
def test_nginx_example_passes_exactly_one_hop(
    nginx_front: tuple[str, str, Path, Flask], app_factory: AppFactory
) -> None:
    https, http, work, app = nginx_front
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    headers = {
        "Host": SERVER_NAME,
        "User-Agent": DESKTOP_UA,
        "Origin": "https://hottelecom.example",
        # A client pretending to be somewhere else: nginx must discard this.
        "X-Forwarded-For": KNOWN_IP,
    }
    # The certificate is self-signed (verify=False per call: a session's setting
    # loses to REQUESTS_CA_BUNDLE in the environment).
    answer = requests.post(
        f"{https}/api/v1/collect", json=body(), headers=headers, timeout=10, verify=False
    )
    assert answer.status_code == 202, answer.text
    # The gateway saw HTTPS through the one trusted hop...
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    # ...and nginx's own address, not the forged one: no location from KNOWN_IP.
    assert [row["country"] for row in rows(app, "aggregate_counts")] == [""]

    # Control: the same forged header sent to the app directly is believed
    # (TRUSTED_PROXIES=1 trusts one hop), so the check above could fail.
    direct = app_factory(GEOIP_DB=app.config["GEOIP_DB"], TRUSTED_PROXIES=1)
    direct.test_client().post(
        "/api/v1/collect", json=body(), headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    )
    assert sorted(row["country"] for row in rows(direct, "aggregate_counts")) == ["", "RU"]

    # Plain HTTP goes to the configured name, whatever Host the client sent.
    redirect = requests.get(
        f"{http}/privacy?x=1", headers={"Host": "evil.example"}, allow_redirects=False, timeout=10
    )
    assert redirect.status_code == 301
    assert redirect.headers["Location"] == f"https://{SERVER_NAME}/privacy?x=1"
    assert "nginx/" not in redirect.headers.get("Server", "")

    # /metrics is for the host itself only... and it is (nginx runs on it here).
    metrics = requests.get(
        f"{https}/metrics", headers={"Host": SERVER_NAME}, timeout=10, verify=False
    )
    assert "gateway_http_requests_total" in metrics.text

    # nginx's log: no address, no User-Agent, no query string.
    logged = (work / "access.log").read_text(encoding="utf-8")
    assert '"POST /api/v1/collect" 202' in logged
    for leak in ("127.0.0.1", KNOWN_IP, "Mozilla", "x=1"):
        assert leak not in logged, leak
