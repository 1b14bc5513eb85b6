"""gunicorn settings for the gateway (override any of them on the command line).

The access log carries no client address (%(h)s), no User-Agent (%(a)s), no
referrer (%(f)s) and no query string (%(r)s and %(q)s would include it): only
the time, method, path, status, size and duration. Paths that carry a secret
(the e-mailed links of a data-subject request, consent ids) are logged with
that segment replaced by ``:redacted`` (``gateway.logs.redact_path``).
"""

import os

from gunicorn.glogging import Logger


class PrivacyLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger with capability tokens cut out of the logged path."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        from gateway.logs import redact_path

        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        return atoms


bind = "127.0.0.1:" + os.environ.get("PORT", "8000")
workers = 2
# Threaded workers whose requests must have sent their headers within
# gateway.server.HEADER_TIMEOUT seconds: slow clients hold a thread for that
# long at most, and the other threads keep answering (/healthz included).
worker_class = "gateway.server.HeaderTimeoutWorker"
threads = 8
timeout = 30
graceful_timeout = 20
keepalive = 5
# gtag.js hits carry their parameters in the query string: allow gunicorn's
# longest request line instead of its 4 KiB default.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = PrivacyLogger
proc_name = "hottelecom-gateway"
# One node per host may run several gunicorns (web, benchmarks); none needs gunicornc.
control_socket_disable = True


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """Keep /metrics right after a worker dies (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
