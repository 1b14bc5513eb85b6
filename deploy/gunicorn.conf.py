"""gunicorn settings of a production node (deploy/gateway-web.service).

The repository's gunicorn.conf.py (the privacy-preserving access log, the
metrics hook) with what a node behind nginx on the same host adds.
"""

import multiprocessing
import runpy
from pathlib import Path

_BASE = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
globals().update({name: value for name, value in _BASE.items() if not name.startswith("__")})

# nginx on the same host is the only client (deploy/nginx.conf.example).
bind = "127.0.0.1:8000"
# One threaded worker per core plus one (gunicorn.conf.py: 8 threads each, a
# header deadline against slow clients): a request waiting on the database or
# the network leaves the core to another thread.
workers = multiprocessing.cpu_count() + 1
# X-Forwarded-Proto is believed from nginx on this host only; the app's own
# ProxyFix (GATEWAY_TRUSTED_PROXIES=1) decides the client address.
forwarded_allow_ips = "127.0.0.1,::1"
# A worker is replaced after this many requests (with jitter, so not all at
# once): a slow leak in a dependency can never grow without bound.
max_requests = 20000
max_requests_jitter = 2000
