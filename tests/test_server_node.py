"""A node as gunicorn.conf.py serves it (two workers), with real sockets against real gunicorn.

Slow clients start a request and send one header line every second: on sync
workers two of them stalled the whole node (/healthz too). The threaded worker
keeps answering meanwhile, and cuts a client still sending headers after its
header deadline.

Rate limits with the default storage hold per node: the two workers draw on
one budget (with ``memory://`` each worker had its own, and a limit let twice
its number through).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gateway.server import HEADER_TIMEOUT
from tests.cluster_support import free_port, served_gunicorn
from tests.conftest import TEST_SECRET, TEST_SITES_TOML, AppFactory


@pytest.fixture
def node(
    request: pytest.FixtureRequest, database_url: str, app_factory: AppFactory, tmp_path: Path
) -> Iterator[str]:
    """gunicorn -c gunicorn.conf.py (its two workers, as `make run` starts it), limits on.

    Marked ``spread``, each worker listens on its own SO_REUSEPORT socket, so the
    kernel spreads new connections over both (idle, one worker would take them all).
    """
    extra = ["--reuse-port"] if request.node.get_closest_marker("spread") else []
    app_factory()
    sites = tmp_path / "sites.toml"
    sites.write_text(TEST_SITES_TOML, encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_SECRET_KEYS": TEST_SECRET,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_SITES_FILE": str(sites),
        "GATEWAY_MAIL_DIR": str(tmp_path / "mail"),
        "PORT": str(port),
        # The default storage, in this test's folder instead of instance/.
        "GATEWAY_RATELIMIT_STORAGE_URL": f"sqlite:///{tmp_path}/ratelimits.db",
    }
    env.pop("GATEWAY_RATELIMIT_ENABLED", None)
    log = tmp_path / "gunicorn.log"
    with served_gunicorn(extra, env, log) as url:
        yield url


class SlowClient(threading.Thread):
    """Sends a request line, then one header line a second, until the server hangs up."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.closed_after: float | None = None

    def run(self) -> None:
        started = time.monotonic()
        try:
            self.sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for number in range(60):
                time.sleep(1)
                self.sock.sendall(f"X-Slow-{number}: a\r\n".encode())
        except OSError:
            pass
        finally:
            self.closed_after = time.monotonic() - started
            self.sock.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_slow_clients_do_not_stall_healthz_and_are_cut_at_the_header_deadline(node: str) -> None:
    port = int(node.rsplit(":", 1)[1])
    # Twice what stalled both sync workers of the old configuration.
    slow = [SlowClient(port) for _ in range(4)]
    for client in slow:
        client.start()
    time.sleep(1.5)  # every slow client has started its request
    answered = []
    until = time.monotonic() + HEADER_TIMEOUT - 2
    while time.monotonic() < until:
        started = time.monotonic()
        response = requests.get(f"{node}/healthz", timeout=5)
        answered.append((response.status_code, time.monotonic() - started))
        time.sleep(0.5)
    assert all(client.is_alive() for client in slow), "the slow clients were still sending"
    assert answered
    assert all(status == 200 for status, _ in answered)
    assert max(seconds for _, seconds in answered) < 2
    for client in slow:
        client.join(timeout=HEADER_TIMEOUT + 10)
    # Cut by the server a little after the deadline, not after their 60 header lines.
    assert all(c.closed_after is not None and c.closed_after < HEADER_TIMEOUT + 5 for c in slow)


@pytest.mark.spread
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_limit_holds_for_the_node_not_for_each_worker(node: str) -> None:
    # POST /api/v1/consent: 30 per minute per client. Twelve clients at once,
    # each on its own connection, spread over both workers.
    def post_five(_: int) -> list[int]:
        with requests.Session() as session:
            return [
                session.post(
                    f"{node}/api/v1/consent",
                    data=b"{}",
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                ).status_code
                for _ in range(5)
            ]

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = [status for batch in pool.map(post_five, range(12)) for status in batch]
    assert len(statuses) == 60
    assert statuses.count(429) == 30, sorted(statuses)
