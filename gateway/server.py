"""gunicorn's threaded worker with a deadline for a request's headers.

gunicorn's ``gthread`` worker waits for a new connection's first bytes in its
poller, but once a request has started it reads the rest of the headers in a
thread with no time limit: a client sending one header line every few seconds
("slow loris") keeps that thread for as long as it likes. This worker gives
every request ``HEADER_TIMEOUT`` seconds from its first byte to its last
header line; a client still sending headers then has its connection shut
down, and the thread goes back to the pool. The request body and the response
are not limited here (gunicorn's ``timeout`` watches the worker as a whole).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

# Seconds a client has to send a request's line and headers, once it started.
HEADER_TIMEOUT = 10.0
# How often the watchdog looks for requests past their deadline.
_WATCH_INTERVAL = 0.25


class HeaderTimeoutWorker(ThreadWorker):  # type: ignore[misc]
    """``gthread`` with a per-request header deadline (see the module docstring)."""

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadlines: dict[int, tuple[float, socket.socket]] = {}
        self._deadlines_lock = threading.Lock()

    def init_process(self) -> None:
        threading.Thread(target=self._watch, name="header-timeout", daemon=True).start()
        super().init_process()

    def handle(self, conn: Any) -> Any:
        key = id(conn)
        with self._deadlines_lock:
            self._deadlines[key] = (time.monotonic() + self.header_timeout, conn.sock)
        try:
            return super().handle(conn)
        finally:
            self._clear(key)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # The headers are in: from here on the request is the application's.
        self._clear(id(conn))
        return super().handle_request(req, conn)

    def _clear(self, key: int) -> None:
        with self._deadlines_lock:
            self._deadlines.pop(key, None)

    def _watch(self) -> None:
        while True:
            time.sleep(_WATCH_INTERVAL)
            now = time.monotonic()
            with self._deadlines_lock:
                late = [key for key, (deadline, _) in self._deadlines.items() if deadline <= now]
                socks = [self._deadlines.pop(key)[1] for key in late]
            for sock in socks:
                self.log.info(
                    "Closing a connection still sending headers after %ss", self.header_timeout
                )
                # Wakes the thread blocked in recv(): the parser sees the end of the stream.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
