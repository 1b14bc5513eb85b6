"""The API contract: /api/v1/openapi.json matches the routes and what a live server answers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from gateway import create_app
from gateway.ops.openapi import openapi_document
from tests.conftest import DESKTOP_UA, TEST_SECRET, AppFactory

DOCUMENTED_PREFIXES = ("/api/", "/g/collect")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # Requests without a required header are refused; undeclared methods get 405.
    missing_required_header,
    unsupported_method,
]
# Per operation; the whole run stays well under a minute on two cores.
MAX_EXAMPLES = 40


def _openapi_path(rule: str) -> str:
    """Flask's ``/api/v1/policy/<int:number>`` as OpenAPI's ``/api/v1/policy/{number}``."""
    parts = []
    for segment in rule.split("/"):
        if segment.startswith("<") and segment.endswith(">"):
            segment = "{" + segment[1:-1].split(":")[-1] + "}"
        parts.append(segment)
    return "/".join(parts)


def _routed_operations(app: Flask) -> set[tuple[str, str]]:
    """(method, path) of every API route; automatic HEAD/OPTIONS are Flask's, not ours."""
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(DOCUMENTED_PREFIXES):
            continue
        methods = set(rule.methods or ()) - {"HEAD"}
        if getattr(rule, "provide_automatic_options", True):
            methods.discard("OPTIONS")
        operations |= {(m.lower(), _openapi_path(rule.rule)) for m in methods}
    return operations


def _documented_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_api_route_is_documented_and_nothing_else(app: Flask) -> None:
    routed = _routed_operations(app)
    documented = _documented_operations(openapi_document(app))
    assert routed - documented == set(), "routes missing from the OpenAPI document"
    assert documented - routed == set(), "documented operations the app does not serve"
    # The comparison itself can fail: it sees the operations this issue names.
    assert {
        ("get", "/api/v1/sites/{site_id}/consent-config"),
        ("post", "/api/v1/consent"),
        ("get", "/api/v1/consent/{consent_id}"),
        ("delete", "/api/v1/consent/{consent_id}"),
        ("post", "/api/v1/collect"),
        ("options", "/api/v1/collect"),
        ("get", "/g/collect"),
        ("post", "/g/collect"),
        ("get", "/api/v1/policy"),
        ("get", "/api/v1/policy/{number}"),
        ("get", "/api/v1/openapi.json"),
    } <= routed


def test_route_comparison_notices_an_undocumented_route(app_factory: AppFactory) -> None:
    app = app_factory()
    app.add_url_rule("/api/v1/secret", "secret", lambda: "x", methods=["PUT"])
    missing = _routed_operations(app) - _documented_operations(openapi_document(app))
    assert missing == {("put", "/api/v1/secret")}


def test_every_path_parameter_is_declared(app: Flask) -> None:
    document = openapi_document(app)
    for path, item in document["paths"].items():
        for method in (m for m in item if m in HTTP_METHODS):
            declared = {
                p.get("name") or p["$ref"].rsplit("/", 1)[-1]
                for p in [*item.get("parameters", []), *item[method].get("parameters", [])]
            }
            names = {
                document["components"]["parameters"][n]["name"]
                if n in document["components"]["parameters"]
                else n
                for n in declared
            }
            for segment in path.split("/"):
                if segment.startswith("{"):
                    assert segment[1:-1] in names, f"{method} {path}"


def test_every_operation_documents_its_errors_with_the_shared_schema(app: Flask) -> None:
    document = openapi_document(app)
    for path, item in document["paths"].items():
        for method in (m for m in item if m in HTTP_METHODS):
            responses = item[method]["responses"]
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    name = response["$ref"].rsplit("/", 1)[-1]
                    content = document["components"]["responses"][name]["content"]
                    assert content["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, f"{method} {path} {status}"
    assert "503" in document["paths"]["/api/v1/collect"]["post"]["responses"]
    assert "413" in document["paths"]["/api/v1/consent"]["post"]["responses"]
    assert document["paths"]["/api/v1/consent/{consent_id}"]["get"]["security"] == [
        {"consentToken": []}
    ]


def test_document_is_served_with_an_etag(app: Flask, client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    served = response.get_json()
    assert served == json.loads(json.dumps(openapi_document(app)))
    assert served["openapi"].startswith("3.1")
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_document_is_a_valid_openapi_schema(client: FlaskClient) -> None:
    # schemathesis validates the document against the OpenAPI 3.1 meta-schema on load.
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").get_json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 12


# -- real flows, answered as the document says -------------------------------------------


def _validate(schema: Any, path: str, method: str, response: requests.Response) -> None:
    schema[path][method].validate_response(response)


@pytest.fixture
def live(app_factory: AppFactory, live_server_factory: Any) -> str:
    return str(live_server_factory(app_factory()).url)


def test_consent_flow_matches_the_document(live: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live}/api/v1/openapi.json")
    config = requests.get(f"{live}/api/v1/sites/hottelecom/consent-config?lang=en", timeout=10)
    _validate(schema, "/api/v1/sites/{site_id}/consent-config", "GET", config)
    etag = config.headers["ETag"]
    unchanged = requests.get(
        f"{live}/api/v1/sites/hottelecom/consent-config?lang=en",
        headers={"If-None-Match": etag},
        timeout=10,
    )
    assert unchanged.status_code == 304
    body = config.json()
    decision = {
        "site": "hottelecom",
        "choices": {"analytics": True},
        "policy_version": body["policy_version"],
        "language": body["language"],
        "text_hash": body["text_hash"],
    }
    # text/plain, as the banner sends it.
    created = requests.post(
        f"{live}/api/v1/consent",
        data=json.dumps(decision),
        headers={"Content-Type": "text/plain", "User-Agent": DESKTOP_UA},
        timeout=10,
    )
    assert created.status_code == 201
    _validate(schema, "/api/v1/consent", "POST", created)
    consent_id, token = created.json()["consent_id"], created.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    state = requests.get(f"{live}/api/v1/consent/{consent_id}", headers=auth, timeout=10)
    assert state.status_code == 200
    _validate(schema, "/api/v1/consent/{consent_id}", "GET", state)
    withdrawn = requests.delete(f"{live}/api/v1/consent/{consent_id}", headers=auth, timeout=10)
    assert withdrawn.json()["withdrawn"] is True
    _validate(schema, "/api/v1/consent/{consent_id}", "DELETE", withdrawn)
    anonymous = requests.get(f"{live}/api/v1/consent/{consent_id}", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="consent"'
    _validate(schema, "/api/v1/consent/{consent_id}", "GET", anonymous)


def test_collect_and_policy_match_the_document(live: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live}/api/v1/openapi.json")
    batch = {
        "site": "hottelecom",
        "page": {"url": "https://hottelecom.example/tariffs", "referrer": None},
        "events": [{"name": "page_view"}, {"name": "first_visit"}],
    }
    collected = requests.post(
        f"{live}/api/v1/collect", json=batch, headers={"User-Agent": DESKTOP_UA}, timeout=10
    )
    assert collected.status_code == 202
    assert collected.json()["accepted"] >= 1
    _validate(schema, "/api/v1/collect", "POST", collected)
    preflight = requests.options(
        f"{live}/api/v1/collect", headers={"Origin": "https://hottelecom.example"}, timeout=10
    )
    assert preflight.status_code == 204
    _validate(schema, "/api/v1/collect", "OPTIONS", preflight)
    gtag = requests.get(
        f"{live}/g/collect",
        params={"v": "2", "tid": "G-TEST000001", "en": "page_view", "dl": "https://x.example/"},
        headers={"User-Agent": DESKTOP_UA},
        timeout=10,
    )
    assert gtag.status_code == 204
    _validate(schema, "/g/collect", "GET", gtag)
    policy = requests.get(f"{live}/api/v1/policy?lang=en", timeout=10)
    assert policy.status_code == 200
    _validate(schema, "/api/v1/policy", "GET", policy)
    missing = requests.get(f"{live}/api/v1/policy/999", timeout=10)
    assert missing.status_code == 404
    _validate(schema, "/api/v1/policy/{number}", "GET", missing)


def test_rate_limit_answer_matches_the_document(
    app_factory: AppFactory, live_server_factory: Any
) -> None:
    live = live_server_factory(app_factory(RATELIMIT_ENABLED=True)).url
    schema = schemathesis.openapi.from_url(f"{live}/api/v1/openapi.json")
    statuses = []
    with requests.Session() as session:
        for _ in range(31):  # the limit is 30 a minute
            response = session.post(f"{live}/api/v1/consent", json={}, timeout=10)
            statuses.append(response.status_code)
    assert statuses[:30] == [400] * 30
    assert statuses[30] == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "rate_limited"
    _validate(schema, "/api/v1/consent", "POST", response)


def test_validation_catches_an_undocumented_answer(live: str) -> None:
    """The checks above can fail: a body the document does not describe is refused."""
    schema = schemathesis.openapi.from_url(f"{live}/api/v1/openapi.json")
    policy = requests.get(f"{live}/api/v1/policy", timeout=10)
    wrong = requests.get(f"{live}/api/v1/sites/hottelecom/consent-config", timeout=10)
    wrong._content = policy.content
    with pytest.raises(schemathesis.errors.FailureGroup) as failed:
        _validate(schema, "/api/v1/sites/{site_id}/consent-config", "GET", wrong)
    assert "Response violates schema" in str(failed.value.exceptions[0])


# -- schemathesis against a live server ----------------------------------------------------


def _collection_app() -> Flask:
    """An app to read the document from while tests are collected (no database is opened)."""
    instance = Path(tempfile.mkdtemp(prefix="openapi-"))
    return create_app(
        {"INSTANCE_PATH": str(instance), "SECRET_KEYS": [TEST_SECRET], "TESTING": True}
    )


# Loaded from the code at collection time; the requests go to a live server per operation
# (the served document is this one: test_document_is_served_with_an_etag).
api_schema = schemathesis.openapi.from_dict(
    openapi_document(_collection_app()),
    config=schemathesis.Config.from_dict(
        {
            # The schema's examples, boundary values (coverage) and random valid and
            # invalid requests (fuzzing).
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "generation": {"mode": "all"},
        }
    ),
)


@pytest.mark.slow
@api_schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_live_server_honours_the_document(case: Any, live: str) -> None:
    """Generated requests (valid and invalid): never a 5xx, always a documented answer."""
    case.call_and_validate(base_url=live, checks=CHECKS, timeout=10)
