"""A local stand-in for GA4's Measurement Protocol, for development and tests.

- ``POST /mp/collect`` answers 204 and records the request;
- ``POST /debug/mp/collect`` answers ``{"validationMessages": [...]}`` from the
  same rules the forwarder builds with (gateway.analytics.forwarding.ga4.check_request);
- faults can be queued (next N answers with a status, optionally with
  Retry-After, or a hang of S seconds) from Python, from the command line or
  with ``POST /_faults``;
- ``GET /_recorded`` returns what was received, ``DELETE /_recorded`` forgets it
  (and the queued faults), ``DELETE /_faults`` ends the queued faults only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gateway.analytics.forwarding.ga4 import check_request
from gateway.timeutil import utcnow

MAX_BODY = 1024 * 1024


@dataclass
class Fault:
    """The next ``times`` /mp/collect requests get ``status`` (after ``hang`` seconds)."""

    status: int = 503
    times: int = 1
    retry_after: int | None = None
    hang: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``503:3`` (three 503s), ``429:2:5`` (two 429s, Retry-After 5), ``hang:15:1``
        (503 after 15 s), ``hang:3:2:204`` (two slow successes)."""
        parts = spec.split(":")
        try:
            if parts[0] == "hang":
                return cls(
                    status=int(parts[3]) if len(parts) > 3 else 503,
                    hang=float(parts[1]),
                    times=int(parts[2] if len(parts) > 2 else 1),
                )
            status = int(parts[0])
            times = int(parts[1]) if len(parts) > 1 else 1
            retry_after = int(parts[2]) if len(parts) > 2 else None
        except (IndexError, ValueError) as exc:
            raise ValueError(
                f"bad fault {spec!r}: use STATUS:TIMES[:RETRY_AFTER] or "
                "hang:SECONDS[:TIMES[:STATUS]]"
            ) from exc
        if not 100 <= status <= 599 or times < 1:
            raise ValueError(f"bad fault {spec!r}")
        return cls(status=status, times=times, retry_after=retry_after)


class FakeGA:
    """Threaded HTTP server; ``url`` is its base (what GATEWAY_GA_ENDPOINT is set to)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._recorded: list[dict[str, Any]] = []
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life

    def start(self) -> FakeGA:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeGA:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- faults and records

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def fail(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        self.inject(Fault(status=status, times=times, retry_after=retry_after))

    def hang(self, seconds: float, times: int = 1, status: int = 503) -> None:
        """Answer ``status`` (503: a failure; 204: a slow success) after ``seconds``."""
        self.inject(Fault(status=status, times=times, hang=seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def next_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.popleft()
            return Fault(fault.status, 1, fault.retry_after, fault.hang)

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._recorded.append(entry)

    @property
    def recorded(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recorded)

    def accepted(self) -> list[dict[str, Any]]:
        """Requests answered 2xx on /mp/collect: what GA would have counted."""
        return [r for r in self.recorded if r["path"] == "/mp/collect" and r["status"] < 300]

    def reset(self) -> None:
        with self._lock:
            self._recorded.clear()
            self._faults.clear()


def _handler_for(fake: FakeGA) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeGA/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded list is the log."""

        def _send(
            self, status: int, payload: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if payload is None else json.dumps(payload, indent=1).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)
            except OSError:
                # The client gave up (a timeout test): nothing to answer.
                self.close_connection = True

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

        def do_GET(self) -> None:
            if urlsplit(self.path).path == "/_recorded":
                self._send(200, {"requests": fake.recorded})
            else:
                self._send(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            path = urlsplit(self.path).path
            if path == "/_recorded":
                fake.reset()
                self._send(204)
            elif path == "/_faults":
                fake.clear_faults()
                self._send(204)
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            raw = self._read_body()
            if parts.path == "/_faults":
                try:
                    spec = json.loads(raw or b"{}")
                    fault = (
                        Fault(
                            status=int(spec.get("status", 503)),
                            hang=float(spec["hang"]),
                            times=int(spec.get("times", 1)),
                        )
                        if "hang" in spec
                        else Fault(
                            status=int(spec.get("status", 503)),
                            times=int(spec.get("times", 1)),
                            retry_after=spec.get("retry_after"),
                        )
                    )
                except (ValueError, TypeError, KeyError, AttributeError):
                    self._send(
                        400,
                        {"error": "expected {status, times, retry_after} or {hang, times, status}"},
                    )
                    return
                fake.inject(fault)
                self._send(204)
                return
            if parts.path not in ("/mp/collect", "/debug/mp/collect"):
                self._send(404, {"error": "not found"})
                return
            try:
                body: Any = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = None
            entry: dict[str, Any] = {
                "method": "POST",
                "path": parts.path,
                "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                "content_type": self.headers.get("Content-Type", ""),
                "client_software": self.headers.get("User-Agent", ""),
                "body": body,
                "size": len(raw),
                "fault": None,
                "received_at": utcnow().isoformat(),
            }
            if parts.path == "/debug/mp/collect":
                now_micros = int(time.time() * 1_000_000)
                messages = check_request(body, now_micros, body_size=len(raw))
                entry["status"] = 200
                fake.record(entry)
                self._send(200, {"validationMessages": messages})
                return
            pending = fake.next_fault()
            if pending is not None:
                fault = pending
                entry["status"] = fault.status
                entry["fault"] = f"hang {fault.hang:g}s" if fault.hang else str(fault.status)
                fake.record(entry)
                if fault.hang:
                    time.sleep(fault.hang)
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                # A slow success answers like a quick one: no body.
                payload = None if fault.status < 300 else {"error": entry["fault"]}
                self._send(fault.status, payload, headers)
                return
            entry["status"] = 204
            fake.record(entry)
            self._send(204)

    return Handler
