"""What the benchmarks share: an instance (sites file, GeoIP, migrated DB) and gunicorn.

Imported by the scripts as ``benchmarks.serving`` (they put the checkout on
``sys.path``); nothing here measures anything by itself.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SECRET = "benchmark-secret-0123456789abcdef0123456789"
ORIGIN = "https://hottelecom.example"
SITES = f"""\
[sites.hottelecom]
name = "HotTelecom"
origins = ["{ORIGIN}"]
languages = ["ru", "en"]
ga_measurement_id = "G-BENCH00001"
ga_api_secret = "bench"
query_allowlist = ["utm_source", "utm_medium", "utm_campaign"]
"""


# A public address the GeoIP database below places in Moscow. Loopback and
# private addresses are never looked up, so a benchmark that wants the lookup
# done, as for a real visitor, sends this one through a trusted proxy hop.
VISITOR_IP = "81.200.10.20"
VISITOR_NETWORK = "81.200.0.0/16"


def visitor_address(n: int) -> str:
    """The n-th of 65,024 public visitor addresses the GeoIP database below locates."""
    return f"81.200.{(n // 254) % 256}.{n % 254 + 1}"


def build_geoip(path: Path) -> None:
    """A tiny City database: VISITOR_NETWORK (VISITOR_IP's) in Moscow."""
    from mmdb_writer import MMDBWriter  # type: ignore[import-untyped]
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", ipv4_compatible=True)
    writer.insert_network(
        IPSet([VISITOR_NETWORK]),
        {"country": {"iso_code": "RU"}, "subdivisions": [{"iso_code": "MOW"}]},
    )
    writer.to_db_file(str(path))


def instance_env(work: Path, database_url: str | None = None) -> dict[str, str]:
    """Sites file and GeoIP database in ``work``; the environment a gateway process needs.

    Rate limits are off: every request of a benchmark comes from 127.0.0.1, so the
    per-address limits would answer 429 to nearly all of them.
    """
    (work / "sites.toml").write_text(SITES, encoding="utf-8")
    build_geoip(work / "geo.mmdb")
    return {
        **os.environ,
        "GATEWAY_SECRET_KEYS": SECRET,
        "GATEWAY_DATABASE_URL": database_url or f"sqlite:///{work / 'gateway.db'}",
        "GATEWAY_SITES_FILE": str(work / "sites.toml"),
        "GATEWAY_GEOIP_DB": str(work / "geo.mmdb"),
        "GATEWAY_RATELIMIT_ENABLED": "false",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "gateway"), "db", "upgrade"],
        cwd=ROOT,
        env={**env, "GATEWAY_GEOIP_DB": ""},
        check=True,
        capture_output=True,
    )


def listening(port: int) -> bool:
    """Whether something accepts connections on the loopback ``port``."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if listening(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def gunicorn_command(
    app: str, port: int, workers: int, worker_class: str | None = None
) -> list[str]:
    """gunicorn with the project's gunicorn.conf.py on a loopback port, access log to /dev/null.

    ``worker_class`` (e.g. ``sync``, with one thread) replaces the configuration's threaded worker.
    """
    return [
        str(BIN / "gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "--access-logfile",
        "/dev/null",
        *(["-k", worker_class] if worker_class else []),
        # gunicorn turns "sync" into its threaded worker when threads > 1, as
        # gunicorn.conf.py sets: one thread keeps a sync worker sync.
        *(["--threads", "1"] if worker_class == "sync" else []),
        app,
    ]


def serve(
    app: str,
    port: int,
    env: dict[str, str],
    workers: int,
    worker_class: str | None = None,
    cwd: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """gunicorn_command() started in ``cwd`` (whose ``gateway`` it imports), once it listens."""
    if listening(port):
        # Otherwise wait_for_port() would return at once and the run would
        # measure whatever server was left there.
        raise RuntimeError(f"port {port} is already in use")
    proc = subprocess.Popen(
        gunicorn_command(app, port, workers, worker_class),
        cwd=cwd,
        env={**env, "PYTHONPATH": str(cwd)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def worker_pids(master: subprocess.Popen[bytes]) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    if not children.exists():
        return []
    return [int(pid) for pid in children.read_text().split()]


def server_cpu_seconds(master: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) used so far by a gunicorn master and its workers."""
    total = 0
    for pid in [master.pid, *worker_pids(master)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def http(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request to a served gateway: status, headers, body."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"User-Agent": UA, "Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status, dict(answer.headers), answer.read()


def consent_token(port: int, site: str = "hottelecom") -> str:
    """A token for a real consent granting analytics, recorded by a POST as the banner does.

    (A token signed without a record is not enough: event mode needs the proof
    of consent in the database.)
    """
    _, _, raw = http(port, "GET", f"/api/v1/sites/{site}/consent-config?lang=ru")
    config = json.loads(raw)
    status, _, raw = http(
        port,
        "POST",
        "/api/v1/consent",
        {
            "site": site,
            "choices": {"analytics": True},
            "policy_version": config["policy_version"],
            "language": "ru",
            "text_hash": config["text_hash"],
        },
        {"Origin": ORIGIN},
    )
    if status != 201:
        raise RuntimeError(f"consent POST answered {status}")
    token: str = json.loads(raw)["token"]
    return token
