"""`gateway serve` (what `make run` starts): the whole gateway in one foreground process.

A fresh instance on another port: the demo page's origin and the public URL
follow the port, a consented beacon from the demo page reaches (fake) Google
within seconds because the forwarder runs, the mail sender runs, and SIGINT
(Ctrl-C) stops every process cleanly; one process dying stops the others.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
import requests

from gateway.sites import DEMO_SITES_TOML
from tests.cluster_support import (
    BIN,
    HEADERS,
    Cluster,
    consent_config,
    decide,
    delivered,
    free_port,
    wait_until,
)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_runs_web_forwarder_and_mail_and_ctrl_c_stops_them(
    database_url: str, tmp_path: Path
) -> None:
    cluster = Cluster(tmp_path, database_url)
    # The demo sites file, as `gateway init` writes it.
    demo = tmp_path / "demo-sites.toml"
    demo.write_text(DEMO_SITES_TOML, encoding="utf-8")
    cluster.env["GATEWAY_SITES_FILE"] = str(demo)
    assert cluster.gateway("db", "upgrade").returncode == 0
    fake = cluster.fake_ga()
    del cluster.env["GATEWAY_PUBLIC_URL"]  # as a fresh install has it: the default
    port = free_port()
    cluster.env["PORT"] = str(port)
    serve = cluster._start("serve", [str(BIN / "gateway"), "serve", "--mail-every", "1"])
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert serve.popen.poll() is None, serve.output()
            try:
                return requests.get(f"{url}/readyz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        wait_until(up, 40, "gateway serve to answer")
        output = serve.output()
        pids = {name: int(pid) for name, pid in re.findall(r"started (\w+) \(pid (\d+)\)", output)}
        assert set(pids) == {"web", "forwarder", "mail"}

        # The gateway's own origin (the demo page) on this port may send beacons.
        own = {**HEADERS, "Origin": url}
        token = decide(url, consent_config(url), analytics=True).json()["token"]
        beacon = requests.post(
            f"{url}/api/v1/collect",
            json={
                "site": "hottelecom",
                "consent": token,
                "page": {"url": f"{url}/demo", "title": "demo"},
                "events": [{"name": "page_view"}, {"name": "mn_hit", "params": {"mark": "s1"}}],
            },
            headers=own,
            timeout=10,
        )
        assert beacon.status_code in (200, 202, 204), beacon.text
        try:
            wait_until(lambda: delivered(fake).marks["s1"] == 1, 20, "the beacon to reach GA", 0.2)
        except AssertionError:
            shown = cluster.gateway("outbox", "show").stdout
            raise AssertionError(f"{beacon.text}\n{shown}\n{serve.output()[-2000:]}") from None

    finally:
        code = serve.stop(signal.SIGINT, timeout=40)
        cluster.stop_all()  # the fake GA too, which `serve` did not start
    output = serve.output()
    assert code == 0, output
    assert "SIGINT: everything stopped" in output
    for name, pid in pids.items():
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), f"{name} still runs"
    assert "forwarder | " in output
    assert "mail      | delivering queued mail" in output


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_stops_the_others_when_one_dies(database_url: str, tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, database_url)
    assert cluster.gateway("db", "upgrade").returncode == 0
    port = free_port()
    cluster.env["PORT"] = str(port)
    serve = cluster._start("serve", [str(BIN / "gateway"), "serve"])
    try:
        wait_until(lambda: "started mail (pid" in serve.output(), 30, "the three processes")
        pids = dict(re.findall(r"started (\w+) \(pid (\d+)\)", serve.output()))
        time.sleep(1)
        os.kill(int(pids["forwarder"]), signal.SIGKILL)
        serve.popen.wait(40)
    finally:
        cluster.stop_all()
    assert serve.popen.returncode == 1
    assert "forwarder exited with status -9; stopped the others" in serve.output()
