"""The promise of policy §3, checked across the whole path.

A visitor with a known address, a forwarded-for chain and a distinctive
User-Agent sends analytics in both modes; the outbox is forwarded to a local
GA4 stand-in. None of the identifying values may be found anywhere: not in a
single cell of the database, not in a log line, not in what Google receives.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from gateway.analytics.forwarding.fakega import FakeGA
from gateway.db import Base
from gateway.models import import_all_models
from tests.conftest import AppFactory
from tests.consent_helpers import recorded_token

CLIENT_IP = "203.0.113.77"
FORWARDED_CHAIN = "198.51.100.23, 192.0.2.44"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.86 Safari/537.36 Edg/131.0.2903.70"
)
# The shape the consent API issues (the column holds 32 characters on PostgreSQL).
CONSENT_ID = "c2ff-ee23-4abc-7def"
GA_CLIENT_ID = "1234567890.1700000000"

FORBIDDEN = (
    CLIENT_IP,
    "198.51.100.23",
    "192.0.2.44",
    USER_AGENT,
    "6778.86",
    "2903.70",
    CONSENT_ID,
    GA_CLIENT_ID,
    "ivan.petrov@example.ru",
    "9161234567",
)


@pytest.fixture
def fake_ga() -> Iterator[FakeGA]:
    with FakeGA() as fake:
        yield fake


@pytest.fixture
def gateway(app_factory: AppFactory, fake_ga: FakeGA) -> Flask:
    return app_factory(
        GA_ENDPOINT=fake_ga.url,
        AGGREGATE_MIN_COUNT=1,
        TRUSTED_PROXIES=1,
        FORWARD_BACKOFF_BASE=0.01,
        FORWARD_BACKOFF_MAX=0.05,
        FORWARD_ONCE_DEADLINE=5,
    )


def _visit(app: Flask, token: str | None) -> None:
    body = {
        "site": "hottelecom",
        "page": {
            "url": "https://hottelecom.example/account/ivan.petrov@example.ru?phone=+79161234567#x",
            "referrer": "https://mail.example/inbox?user=ivan.petrov@example.ru",
            "title": "Счёт для ivan.petrov@example.ru, +7 916 123-45-67",
        },
        "events": [
            {"name": "page_view"},
            {
                "name": "tariff_chosen",
                "params": {"tariff": "home-500", "email": "ivan.petrov@example.ru"},
            },
        ],
    }
    if token:
        body["consent"] = token
    response = app.test_client().post(
        "/api/v1/collect",
        data=json.dumps(body),
        content_type="text/plain",
        headers={
            "Origin": "https://hottelecom.example",
            "User-Agent": USER_AGENT,
            "X-Forwarded-For": FORWARDED_CHAIN,
        },
        environ_base={"REMOTE_ADDR": CLIENT_IP},
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["accepted"] == 2
    assert response.get_json()["mode"] == ("event" if token else "aggregate")


def _gtag_hit(app: Flask) -> None:
    response = app.test_client().get(
        "/g/collect",
        query_string={
            "v": "2",
            "tid": "G-TEST000001",
            "cid": GA_CLIENT_ID,
            "en": "page_view",
            "dl": "https://hottelecom.example/pay?card=4111111111111111",
            "dt": "Оплата",
            "gcs": "G111",
        },
        headers={"User-Agent": USER_AGENT, "X-Forwarded-For": FORWARDED_CHAIN},
        environ_base={"REMOTE_ADDR": CLIENT_IP},
    )
    assert response.status_code == 204


def _all_cells(app: Flask) -> list[str]:
    import_all_models()
    engine = app.extensions["gateway.db"]
    cells: list[str] = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "consent_records":
                continue  # the proof of consent holds the consent id by design
            for row in conn.execute(sa.select(table)):
                cells.extend(str(value) for value in row)
    return cells


def test_nothing_identifying_reaches_the_database_logs_or_google(
    gateway: Flask, fake_ga: FakeGA, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = recorded_token(gateway, consent_id=CONSENT_ID)
    _visit(gateway, token)  # event mode
    _visit(gateway, None)  # aggregate mode
    _gtag_hit(gateway)

    result = gateway.test_cli_runner().invoke(args=["forward", "--once", "--flush"])
    assert result.exit_code == 0, result.output

    sent = fake_ga.accepted()
    assert sent, "the forwarder sent nothing"
    bodies = [entry["body"] for entry in sent]
    upstream = json.dumps(sent, ensure_ascii=False)
    modes = set()
    for body in bodies:
        payload = json.loads(body) if isinstance(body, str) else body
        for forbidden_key in ("ip_override", "user_agent", "user_id", "user_data"):
            assert forbidden_key not in payload
        modes.add(
            "aggregate"
            if any("aggregated_count" in e["params"] for e in payload["events"])
            else "event"
        )
    assert modes == {"event", "aggregate"}

    database = "\n".join(_all_cells(gateway))
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for value in FORBIDDEN:
        assert value not in database, f"{value!r} stored in the database"
        assert value not in logs, f"{value!r} written to the log"
        assert value not in upstream, f"{value!r} sent to Google"
    assert "ivan.petrov" not in upstream
    assert "4111111111111111" not in upstream + database
    # Coarse facts survive: the browser family and major version only.
    assert "131" in upstream
