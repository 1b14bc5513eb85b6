"""X-Forwarded-* counts only as far as GATEWAY_TRUSTED_PROXIES says, through real requests.

Everything derived from the client address is checked: the rate-limit key and
the geo lookup (the only two uses, both in ``gateway/clientinfo.py``), plus the
scheme (HSTS, in test_security_headers.py) and the host (never taken from
X-Forwarded-Host).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway.extensions import db
from tests.conftest import DESKTOP_UA, AppFactory

ORIGIN = "https://hottelecom.example"
# A public address, so the proxy itself can be located (private ones never are).
PROXY = "91.198.174.10"
RU = "81.200.10.77"
DE = "85.214.1.1"
# The contact form allows 30 POSTs a minute per client, whatever they contain.
FORM_LIMIT = 30


@pytest.fixture
def geoip_db(tmp_path: Path) -> str:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(ip_version=6, database_type="GeoIP2-City", ipv4_compatible=True)
    writer.insert_network(IPSet(["81.200.10.0/24"]), {"country": {"iso_code": "RU"}})
    writer.insert_network(IPSet(["85.214.0.0/16"]), {"country": {"iso_code": "DE"}})
    writer.insert_network(IPSet(["91.198.174.0/24"]), {"country": {"iso_code": "NL"}})
    path = tmp_path / "countries.mmdb"
    writer.to_db_file(str(path))
    return str(path)


def _collect(client: FlaskClient, remote: str, forwarded: str | None) -> None:
    headers = {"User-Agent": DESKTOP_UA, "Origin": ORIGIN}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    response = client.post(
        "/api/v1/collect",
        json={"site": "hottelecom", "page": {"url": ORIGIN + "/"}, "events": [{"name": "x"}]},
        headers=headers,
        environ_base={"REMOTE_ADDR": remote},
    )
    assert response.status_code == 202, response.data


def _countries(app: Flask) -> list[str]:
    with app.app_context():
        result = db.session.execute(sa.text("SELECT country FROM aggregate_counts ORDER BY id"))
        return [row[0] for row in result]


def test_geo_ignores_forwarded_for_without_trusted_proxies(
    app_factory: AppFactory, geoip_db: str
) -> None:
    app = app_factory(GEOIP_DB=geoip_db)
    _collect(app.test_client(), RU, f"{DE}")
    _collect(app.test_client(), RU, f"{DE}, {DE}")
    assert _countries(app) == ["RU"]


def test_geo_trusts_exactly_one_hop(app_factory: AppFactory, geoip_db: str) -> None:
    app = app_factory(GEOIP_DB=geoip_db, TRUSTED_PROXIES=1)
    client = app.test_client()
    # The proxy appended the real client (DE); the client forged RU before it.
    _collect(client, PROXY, f"{RU}, {DE}")
    assert _countries(app) == ["DE"]
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM aggregate_counts"))
        db.session.commit()
    # Without the header the proxy's own address is all there is.
    _collect(client, PROXY, None)
    assert _countries(app) == ["NL"]


def _form_posts(
    client: FlaskClient, count: int, remote: str, forwarded: list[str | None]
) -> list[int]:
    codes = []
    for n in range(count):
        value = forwarded[n % len(forwarded)]
        headers: dict[str, Any] = {"X-Forwarded-For": value} if value is not None else {}
        response = client.post(
            "/contact", data={}, headers=headers, environ_base={"REMOTE_ADDR": remote}
        )
        codes.append(response.status_code)
    return codes


def test_rate_limit_key_ignores_forged_forwarded_for(app_factory: AppFactory) -> None:
    app = app_factory(RATELIMIT_ENABLED=True)
    client = app.test_client()
    forged: list[str | None] = [f"198.51.100.{n}" for n in range(1, 40)]
    codes = _form_posts(client, FORM_LIMIT + 1, RU, forged)
    assert 429 not in codes[:FORM_LIMIT]
    # A new X-Forwarded-For each time did not make a new client.
    assert codes[FORM_LIMIT] == 429
    # Another real address is another client.
    assert _form_posts(client, 1, DE, [None]) != [429]


def test_rate_limit_key_trusts_exactly_one_hop(app_factory: AppFactory) -> None:
    app = app_factory(RATELIMIT_ENABLED=True, TRUSTED_PROXIES=1)
    client = app.test_client()
    # Same real client (the hop the proxy added), a different forged part each time.
    forged: list[str | None] = [f"198.51.100.{n}, {RU}" for n in range(1, 40)]
    codes = _form_posts(client, FORM_LIMIT + 1, PROXY, forged)
    assert 429 not in codes[:FORM_LIMIT]
    assert codes[FORM_LIMIT] == 429
    # Another client behind the same proxy is not limited with the first.
    assert _form_posts(client, 1, PROXY, [f"{RU}, {DE}"]) != [429]
    assert _form_posts(client, 1, PROXY, [DE]) != [429]


@pytest.mark.parametrize("trusted", [0, 1])
def test_forwarded_host_is_never_believed(app_factory: AppFactory, trusted: int) -> None:
    app = app_factory(TRUSTED_PROXIES=trusted)
    client = app.test_client()
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/evil"}
    gate = client.get("/admin/requests", headers=headers)
    assert gate.status_code == 302
    assert gate.headers["Location"].startswith("/admin/login?next=/admin/requests")
    feed = client.get("/privacy/feed.atom", headers=headers).get_data(as_text=True)
    login = client.get("/admin/login", headers=headers).get_data(as_text=True)
    for text in (feed, login):
        assert "evil" not in text
