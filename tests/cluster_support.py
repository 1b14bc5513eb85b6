"""Real processes on one PostgreSQL: gunicorn nodes, `gateway forward` workers, `gateway fake-ga`.

Used by the multi-node and fault tests. Every process is started from this
checkout's virtualenv with its settings in the environment, logs to a file in
the test's tmp directory (shown when a test fails), and is stopped by pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from benchmarks.serving import gunicorn_command
from tests.conftest import DESKTOP_UA, TEST_SITES_TOML

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ORIGIN = "https://hottelecom.example"
HEADERS = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served_gunicorn(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn -c gunicorn.conf.py with ``args``, from this checkout: its URL once
    /healthz answers (the log is shown if it never does), stopped on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", *args, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    port = next((a.rsplit(":", 1)[1] for a in args if a.startswith("127.0.0.1:")), env.get("PORT"))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("gunicorn did not start:\n" + log.read_text(errors="replace"))
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until(check: Any, timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return int(self.popen.returncode)


@dataclass
class Cluster:
    """Settings shared by every process of a test, and the processes it started."""

    tmp: Path
    database_url: str
    settings: dict[str, str] = field(default_factory=dict)
    procs: list[Proc] = field(default_factory=list)

    def __post_init__(self) -> None:
        sites = self.tmp / "sites.toml"
        sites.write_text(TEST_SITES_TOML, encoding="utf-8")
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("GATEWAY_") and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        self.env.update(
            {
                "GATEWAY_DATABASE_URL": self.database_url,
                "GATEWAY_SECRET_KEYS": "cluster-secret-0123456789abcdef0123456789",
                "GATEWAY_SITES_FILE": str(sites),
                "GATEWAY_MAIL_DIR": str(self.tmp / "mail"),
                "GATEWAY_PUBLIC_URL": "http://localhost",
                "GATEWAY_RATELIMIT_ENABLED": "false",
                **self.settings,
            }
        )

    # -- processes

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Proc:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                args, cwd=ROOT, env=env or self.env, stdout=out, stderr=subprocess.STDOUT
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def gateway(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run one `gateway` command to its end."""
        return subprocess.run(
            [str(BIN / "gateway"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def nodes(self, *names: str, workers: int = 2, env: dict[str, str] | None = None) -> list[str]:
        """gunicorn nodes as production runs them, started together; their base URLs
        once every one answers /readyz."""
        started = []
        for name in names:
            port = free_port()
            args = gunicorn_command("wsgi:app", port, workers)
            started.append((self._start(name, args, env), f"http://127.0.0.1:{port}"))
        for proc, url in started:

            def ready(proc: Proc = proc, url: str = url) -> bool:
                assert proc.popen.poll() is None, proc.output()
                try:
                    return requests.get(f"{url}/readyz", timeout=1).status_code == 200
                except requests.RequestException:
                    return False

            wait_until(ready, 30, f"{proc.name} to be ready")
        return [url for _, url in started]

    def forwarder(self, name: str) -> Proc:
        return self._start(name, [str(BIN / "gateway"), "forward"])

    def fake_ga(self) -> str:
        proc = self._start("fake-ga", [str(BIN / "gateway"), "fake-ga", "--port", "0"])
        wait_until(lambda: "fake GA4 on http" in proc.output(), 20, "fake-ga to start")
        url = proc.output().split("fake GA4 on ", 1)[1].split()[0]
        self.env["GATEWAY_GA_ENDPOINT"] = url
        return url

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop(timeout=10)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.output()[-3000:]}" for p in self.procs)


# -- what the tests send ------------------------------------------------------------


def consent_config(url: str) -> dict[str, Any]:
    response = requests.get(f"{url}/api/v1/sites/hottelecom/consent-config?lang=en", timeout=10)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def decide(
    url: str, cfg: dict[str, Any], analytics: bool, token: str | None = None
) -> requests.Response:
    body: dict[str, Any] = {
        "site": "hottelecom",
        "choices": {"analytics": analytics},
        "policy_version": cfg["policy_version"],
        "language": "en",
        "text_hash": cfg["text_hash"],
    }
    if token:
        body["token"] = token
    return requests.post(f"{url}/api/v1/consent", json=body, headers=HEADERS, timeout=30)


def collect(url: str, path: str, marks: list[str], token: str | None = None) -> requests.Response:
    """One tracker request: a page view and one ``mn_hit`` event per mark."""
    body: dict[str, Any] = {
        "site": "hottelecom",
        "page": {"url": f"{ORIGIN}{path}", "title": "multi-node"},
        "events": [{"name": "page_view"}]
        + [{"name": "mn_hit", "params": {"mark": mark}} for mark in marks],
    }
    if token:
        body["consent"] = token
    return requests.post(f"{url}/api/v1/collect", json=body, headers=HEADERS, timeout=30)


def recorded(fake_ga_url: str) -> list[dict[str, Any]]:
    response = requests.get(f"{fake_ga_url}/_recorded", timeout=30)
    response.raise_for_status()
    return response.json()["requests"]  # type: ignore[no-any-return]


def inject(fake_ga_url: str, fault: dict[str, Any]) -> None:
    response = requests.post(f"{fake_ga_url}/_faults", data=json.dumps(fault), timeout=5)
    assert response.status_code == 204, response.text


@dataclass
class Delivered:
    numbers: Counter[int]  # the ``n`` parameter of tests/test_forwarder.py's events
    marks: Counter[str]
    aggregate: Counter[str]  # event name -> sum of aggregated_count
    event_page_views: int
    failed_attempts: int

    @property
    def n(self) -> set[int]:
        return set(self.numbers)


def delivered(fake_ga_url: str) -> Delivered:
    """What GA accepted (2xx), event by event."""
    numbers: Counter[int] = Counter()
    marks: Counter[str] = Counter()
    aggregate: Counter[str] = Counter()
    page_views = failed = 0
    for request in recorded(fake_ga_url):
        if request["path"] != "/mp/collect":
            continue
        if request["status"] >= 300:
            failed += 1
            continue
        for event in request["body"]["events"]:
            params = event["params"]
            if "aggregated_count" in params:
                aggregate[event["name"]] += int(params["aggregated_count"])
            elif "mark" in params:
                marks[params["mark"]] += 1
            elif "n" in params:
                numbers[int(params["n"])] += 1
            elif event["name"] == "page_view":
                page_views += 1
    return Delivered(numbers, marks, aggregate, page_views, failed)
