from __future__ import annotations

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AppFactory


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_count_requests_by_endpoint_and_status(client: FlaskClient) -> None:
    before = _samples(client.get("/metrics").get_data(as_text=True))
    key = (
        "gateway_http_requests_total",
        (("endpoint", "ops.healthz"), ("method", "GET"), ("status", "200")),
    )
    client.get("/healthz")
    client.get("/healthz")
    after = _samples(client.get("/metrics").get_data(as_text=True))
    assert after[key] - before.get(key, 0.0) == 2


def test_metrics_token_required_when_configured(app_factory: AppFactory) -> None:
    client = app_factory(METRICS_TOKEN="s3cret-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert "gateway_http_requests_total" in ok.get_data(as_text=True)
