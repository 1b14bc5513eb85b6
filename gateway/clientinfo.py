"""The one place that reads the client's address and User-Agent.

Both are turned into coarse facts right here and dropped: nothing else in the
gateway touches ``request.remote_addr`` or the ``User-Agent`` header, so
neither can reach the database, a log line or Google.  Which address is the
client's is decided by ProxyFix according to ``TRUSTED_PROXIES``. Each function
reads the current Flask request, or the one it is given (the lean intake path
runs without a request context).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import Flask, Request, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.geo import Location, from_hosting, locate
from gateway.useragent import DeviceFacts, describe


def init_app(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        # Exactly ``hops`` proxies are believed; anything a client puts in
        # X-Forwarded-For beyond them is ignored.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )


def client_ip(req: Request | None = None) -> str:
    """The client address, for reduction to coarse facts only (never stored)."""
    return (req if req is not None else request).remote_addr or ""


def device_facts(req: Request | None = None) -> DeviceFacts:
    """Browser family, OS family, device category and bot verdict of this request."""
    environ = (req if req is not None else request).environ
    return describe(environ.get("HTTP_USER_AGENT", "")[:1024])


def client_location(req: Request | None = None) -> Location | None:
    """Country and ISO 3166-2 region of the client (GEOIP_DB), or None."""
    return locate(current_app.config["GEOIP_DB"], client_ip(req))


# The headers a browser fetching ahead sends, as WSGI names them: read from the
# environ, as werkzeug's header view would, without its key translation per lookup.
_PURPOSE_KEYS = ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_PURPOSE")


def _prefetch(environ: dict[str, Any]) -> bool:
    """A browser fetching ahead (Sec-Purpose / Purpose: prefetch), not a visitor's view."""
    purpose = ";".join(environ.get(key, "")[:64] for key in _PURPOSE_KEYS).lower()
    return "prefetch" in purpose or "preview" in purpose


def request_drop_reason(req: Request | None = None) -> str | None:
    """Why this request is not a person's visit, judged by its headers and network, or None.

    ``prefetch``: the browser fetched ahead of a visit; ``hosting_network``:
    the address belongs to a hosting or cloud provider (GEOIP_ASN_DB).
    """
    req = req if req is not None else request
    if _prefetch(req.environ):
        return "prefetch"
    if from_hosting(current_app.config["GEOIP_ASN_DB"], client_ip(req)):
        return "hosting_network"
    return None


def gpc_enabled(req: Request | None = None) -> bool:
    """Global Privacy Control: ``Sec-GPC: 1`` means analytics is refused."""
    environ = (req if req is not None else request).environ
    value: str = environ.get("HTTP_SEC_GPC", "")
    return value.strip() == "1"


def client_address_for_limits(req: Request | None = None) -> str:
    """Rate-limit key: a keyed hash of the address that changes every day.

    Limits need to tell clients apart for a few minutes; they do not need the
    address itself, so storage (memory or Redis) never holds it.
    """
    day = str(int(time.time() // 86400)).encode()
    key = (current_app.config.get("SECRET_KEY") or "gateway").encode()
    digest = hmac.new(key, day + b"|" + client_ip(req).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
