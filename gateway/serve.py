"""`gateway serve`: the web server, the forwarder and the mail sender as one foreground command.

What production runs as three systemd units (deploy/), for a machine where one
terminal is the whole gateway (`make run`): gunicorn with gunicorn.conf.py,
`gateway forward`, and `gateway mail send --every SECONDS`. Their output comes
out line by line with the process's name in front. Ctrl-C (SIGINT) or SIGTERM
stops all three (each gets SIGTERM and finishes what it is doing); if one of
them exits on its own, the others are stopped too and the exit status says so.

``--port`` (or PORT) moves gunicorn; unless GATEWAY_PUBLIC_URL is set, the
public URL follows (http://127.0.0.1:PORT), and with it the gateway's own
origin, which the demo page's beacons come from.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import click

from gateway import PROJECT_ROOT

# How long the processes get to finish after SIGTERM before they are killed.
STOP_TIMEOUT_SECONDS = 30.0
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes]
    pump: threading.Thread


def _executable(name: str) -> str:
    found = Path(sys.executable).parent / name
    if not found.exists():
        raise click.ClickException(f"{found} not found: install the gateway into this virtualenv")
    return str(found)


def commands(mail_every: int) -> dict[str, list[str]]:
    """What `gateway serve` starts, by name."""
    return {
        "web": [
            _executable("gunicorn"),
            "-c",
            str(PROJECT_ROOT / "gunicorn.conf.py"),
            "wsgi:app",
        ],
        "forwarder": [_executable("gateway"), "forward"],
        "mail": [_executable("gateway"), "mail", "send", "--every", str(mail_every)],
    }


def _pump(name: str, stream: IO[bytes], lock: threading.Lock) -> None:
    width = len("forwarder")
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        with lock:
            click.echo(f"{name:<{width}} | {line}")
    stream.close()


def serve(port: int, mail_every: int, public_url: str | None) -> int:
    """Start the three processes and supervise them; the exit status for the command."""
    env = dict(os.environ, PORT=str(port), PYTHONUNBUFFERED="1")
    if public_url is not None:
        env["GATEWAY_PUBLIC_URL"] = public_url
    stop = threading.Event()
    reason: list[str] = []

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            reason.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    lock = threading.Lock()
    children: list[Child] = []
    try:
        for name, args in commands(mail_every).items():
            # Their own session: Ctrl-C reaches this process only, which stops them in order.
            popen = subprocess.Popen(  # noqa: S603  (our own executables, fixed arguments)
                args,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            assert popen.stdout is not None
            pump = threading.Thread(target=_pump, args=(name, popen.stdout, lock), daemon=True)
            pump.start()
            children.append(Child(name, popen, pump))
            with lock:
                click.echo(f"serve: started {name} (pid {popen.pid}): {' '.join(args[1:])}")
        with lock:
            click.echo(
                f"serve: the gateway is on http://127.0.0.1:{port} "
                f"(staff pages: /admin, demo: /demo); Ctrl-C stops everything"
            )
        failed: Child | None = None
        while not stop.wait(0.2):
            failed = next((c for c in children if c.popen.poll() is not None), None)
            if failed is not None:
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_all(children, lock)
    if failed is not None:
        click.echo(
            f"serve: {failed.name} exited with status {failed.popen.returncode}; "
            "stopped the others (its output is above)",
            err=True,
        )
        return 1
    click.echo(f"serve: {reason[0] if reason else 'stop'}: everything stopped")
    return 0


def _stop_all(children: list[Child], lock: threading.Lock) -> None:
    for child in children:
        if child.popen.poll() is None:
            child.popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.popen.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            with lock:
                click.echo(f"serve: {child.name} did not stop in time; killed", err=True)
            child.popen.kill()
            child.popen.wait(5)
        child.pump.join(5)
