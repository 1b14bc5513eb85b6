"""The consent API: decisions, tokens, CORS, GPC, re-consent and bad input."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from gateway.consent.texts import text_hash
from gateway.consent.tokens import read_token
from gateway.sites import get_site
from tests.conftest import DESKTOP_UA
from tests.consent_helpers import ORIGIN, config, decide, publish, records


def test_config_has_categories_texts_and_the_hash_of_what_is_shown(client: FlaskClient) -> None:
    en, ru = config(client, "en"), config(client, "ru")
    assert [c["id"] for c in en["categories"]] == ["necessary", "analytics", "marketing"]
    assert en["categories"][0]["required"] is True
    assert en["categories"][2]["title"] == "Marketing"
    assert ru["categories"][2]["title"] == "Маркетинг"
    assert ru["texts"]["accept"] == "Принять все"
    assert ru["texts"]["reject"] == "Отклонить все"
    assert en["texts"]["accept"] == "Accept all"
    assert en["text_hash"] != ru["text_hash"]
    assert len(en["text_hash"]) == 64
    assert en["links"]["policy"] == "/privacy"
    # A site with only English answers in English whatever is asked for.
    assert config(client, "ru", site="shop")["language"] == "en"


def test_text_hash_changes_with_any_shown_word(app: Flask) -> None:
    with app.app_context():
        site = get_site("hottelecom")
        assert site is not None
        base = text_hash(site, "en", 1)
        assert text_hash(site, "en", 2) != base
        assert text_hash(site, "ru", 1) != base


def test_accept_all_returns_a_token_and_records_proof(app: Flask, client: FlaskClient) -> None:
    response = decide(
        client, {"analytics": True, "marketing": True}, headers={"User-Agent": DESKTOP_UA}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["choices"] == {"necessary": True, "analytics": True, "marketing": True}
    assert body["decision"] == "accept_all"
    assert body["expires_at"].endswith("Z")
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    with app.app_context():
        claims = read_token(body["token"])
    assert claims.consent_id == body["consent_id"]
    assert claims.grants("analytics")
    [record] = records(app)
    assert record.consent_id == body["consent_id"]
    assert record.kind == "accept_all"
    assert record.source == "banner"
    assert record.language == "en"
    assert record.browser_family == "Chrome"
    assert record.text_hash == config(client)["text_hash"]
    assert record.prev_hash == "0" * 64


def test_records_hold_no_ip_and_no_user_agent(app: Flask, client: FlaskClient) -> None:
    decide(
        client,
        {"analytics": True},
        headers={"User-Agent": DESKTOP_UA, "X-Forwarded-For": "203.0.113.77"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
    )
    client.post(
        "/api/v1/consent",
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
        headers={"User-Agent": DESKTOP_UA, "Origin": ORIGIN},
        json={
            "site": "hottelecom",
            "choices": {"analytics": False},
            "policy_version": 0,
            "language": "en",
            "text_hash": config(client)["text_hash"],
        },
    )
    dump = json.dumps([{k: str(v) for k, v in vars(r).items()} for r in records(app)])
    assert "198.51.100.23" not in dump
    assert "203.0.113.77" not in dump
    assert "X11; Linux" not in dump
    assert "156.0" not in dump


@pytest.mark.parametrize(
    ("choices", "kind"),
    [
        ({"analytics": False, "marketing": False}, "reject_all"),
        ({}, "reject_all"),
        ({"analytics": True, "marketing": False}, "custom"),
    ],
)
def test_decision_kinds(client: FlaskClient, choices: dict[str, bool], kind: str) -> None:
    assert decide(client, choices).get_json()["decision"] == kind


def test_necessary_cannot_be_refused(client: FlaskClient) -> None:
    body = decide(client, {"necessary": False}).get_json()
    assert body["choices"]["necessary"] is True


def test_a_new_decision_with_a_token_is_a_change_of_the_same_consent(
    app: Flask, client: FlaskClient
) -> None:
    first = decide(client, {"analytics": True}).get_json()
    second = decide(client, {"analytics": False}, token=first["token"]).get_json()
    assert second["consent_id"] == first["consent_id"]
    assert second["decision"] == "change"
    assert [r.kind for r in records(app)] == ["custom", "change"]
    # The token may also come as a Bearer header.
    third = decide(
        client, {"analytics": True}, headers={"Authorization": f"Bearer {second['token']}"}
    ).get_json()
    assert third["consent_id"] == first["consent_id"]


def test_get_and_delete_with_bearer_token(app: Flask, client: FlaskClient) -> None:
    made = decide(client, {"analytics": True}).get_json()
    url = f"/api/v1/consent/{made['consent_id']}"
    auth = {"Authorization": f"Bearer {made['token']}"}
    state = client.get(url, headers=auth).get_json()
    assert state["choices"]["analytics"] is True
    assert state["withdrawn"] is False
    assert client.get(url).status_code == 401
    other = decide(client, {}).get_json()
    assert client.get(url, headers={"Authorization": f"Bearer {other['token']}"}).status_code == 403

    gone = client.delete(url, headers=auth)
    assert gone.status_code == 200
    assert gone.get_json()["withdrawn"] is True
    assert gone.get_json()["choices"] == {
        "necessary": True,
        "analytics": False,
        "marketing": False,
    }
    # Withdrawing again records nothing more.
    client.delete(url, headers=auth)
    kinds = [r.kind for r in records(app) if r.consent_id == made["consent_id"]]
    assert kinds == ["custom", "withdrawal"]
    assert client.get(url, headers=auth).get_json()["last_decision"] == "withdrawal"


def test_simultaneous_withdrawals_record_one(
    app: Flask, client: FlaskClient, live_server_factory: Any
) -> None:
    """Two tabs (or two nodes) withdrawing at the same moment: one withdrawal is recorded."""
    import threading

    import requests

    made = decide(client, {"analytics": True}).get_json()
    server = live_server_factory(app)
    url = f"{server.url}/api/v1/consent/{made['consent_id']}"
    headers = {"Authorization": f"Bearer {made['token']}", "Origin": ORIGIN}
    rounds = 4
    for _ in range(rounds):
        barrier = threading.Barrier(4)
        answers: list[int] = []

        def withdraw(barrier: threading.Barrier = barrier, answers: list[int] = answers) -> None:
            barrier.wait()
            answers.append(requests.delete(url, headers=headers, timeout=30).status_code)

        threads = [threading.Thread(target=withdraw) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * 4
        # A new decision on the same consent, so the next round can withdraw again.
        decide(client, {"analytics": True}, token=made["token"])
    kinds = [r.kind for r in records(app) if r.consent_id == made["consent_id"]]
    assert kinds == ["custom"] + ["withdrawal", "change"] * rounds


def test_gpc_header_refuses_analytics_and_is_recorded(app: Flask, client: FlaskClient) -> None:
    body = decide(
        client, {"analytics": True, "marketing": True}, headers={"Sec-GPC": "1"}
    ).get_json()
    assert body["choices"]["analytics"] is False
    assert body["choices"]["marketing"] is False  # shares data with third parties too
    [record] = records(app)
    assert (record.kind, record.source) == ("gpc", "gpc")


def test_gpc_from_the_banner_body(client: FlaskClient) -> None:
    body = decide(client, {"analytics": True}, gpc=True).get_json()
    assert body["choices"]["analytics"] is False
    assert body["decision"] == "gpc"


def test_api_clients_without_origin_are_recorded_as_api(app: Flask, client: FlaskClient) -> None:
    cfg = config(client)
    response = client.post(
        "/api/v1/consent",
        json={
            "site": "hottelecom",
            "choices": {"analytics": True},
            "policy_version": cfg["policy_version"],
            "language": "en",
            "text_hash": cfg["text_hash"],
        },
    )
    assert response.status_code == 201
    assert records(app)[0].source == "api"


def test_policy_version_is_the_consent_version(app: Flask, client: FlaskClient) -> None:
    publish(app, 1, material=True, days_ago=30)
    publish(app, 2, material=False, days_ago=5)
    cfg = config(client)
    assert cfg["policy_version"] == 1
    assert cfg["current_version"] == 2
    assert decide(client, {}).get_json()["policy_version"] == 1
    publish(app, 3, material=True, days_ago=1)
    assert config(client)["policy_version"] == 3


def test_upcoming_version_is_announced(app: Flask, client: FlaskClient) -> None:
    publish(app, 1, material=True, days_ago=30)
    publish(app, 2, material=True, days_ago=-14)
    cfg = config(client, "ru")
    assert cfg["policy_version"] == 1
    assert cfg["upcoming"][0]["version"] == 2
    assert "Политика конфиденциальности изменится" in cfg["texts"]["upcoming"]


# -- CORS -----------------------------------------------------------------------------


def test_preflight_only_for_configured_origins(client: FlaskClient) -> None:
    ok = client.options(
        "/api/v1/consent",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert ok.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
    bad = client.options(
        "/api/v1/consent",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_config_is_shared_only_with_the_sites_own_origins(client: FlaskClient) -> None:
    mine = client.get("/api/v1/sites/shop/consent-config", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in mine.headers
    shop = client.get(
        "/api/v1/sites/shop/consent-config",
        headers={"Origin": "https://shop.hottelecom.example"},
    )
    assert shop.headers["Access-Control-Allow-Origin"] == "https://shop.hottelecom.example"


def test_post_from_a_foreign_origin_is_refused(app: Flask, client: FlaskClient) -> None:
    for origin in ("https://evil.example", "https://shop.hottelecom.example"):
        response = decide(client, {"analytics": True}, headers={"Origin": origin})
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert records(app) == []


# -- bad input ------------------------------------------------------------------------


def _post(client: FlaskClient, data: bytes | str, content_type: str = "application/json") -> Any:
    return client.post(
        "/api/v1/consent", data=data, content_type=content_type, headers={"Origin": ORIGIN}
    )


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ("{not json", 400, "malformed JSON"),
        ("[1, 2]", 400, "JSON object"),
        (b"\xff\xfe{", 400, "malformed JSON"),
        ('{"choices": {}}', 400, "site is required"),
        ('{"site": "nowhere", "choices": {}}', 404, "unknown site"),
        ('{"site": "../etc", "choices": {}}', 404, "unknown site"),
        # Deeper than the JSON parser follows: refused, not a server error.
        ("[" * 20_000, 400, "malformed JSON"),
        ('{"a":' * 12_000, 400, "malformed JSON"),
    ],
)
def test_malformed_bodies(
    app: Flask, client: FlaskClient, data: str, status: int, words: str
) -> None:
    response = _post(client, data)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]
    assert records(app) == []


def test_wrong_content_type_is_415(client: FlaskClient) -> None:
    response = _post(client, "site=hottelecom", "application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.is_json


def test_body_over_the_limit_is_413(app: Flask, client: FlaskClient) -> None:
    huge = json.dumps({"site": "hottelecom", "choices": {}, "pad": "x" * 70_000})
    response = _post(client, huge)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert records(app) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"choices": {"analytics": True, "tracking": True}}, "unknown category 'tracking'"),
        ({"choices": {"analytics": "yes"}}, "'analytics' must be true or false"),
        ({"choices": ["analytics"]}, "choices must be an object"),
        ({"language": "de"}, "language must be one of"),
        ({"policy_version": 7}, "policy_version 7"),
        ({"policy_version": "1"}, "policy_version must be an integer"),
        ({"text_hash": "0" * 64}, "text_hash does not match"),
        ({"token": 12}, "token must be a string"),
    ],
)
def test_invalid_decisions_name_the_problem(
    app: Flask, client: FlaskClient, change: dict[str, Any], words: str
) -> None:
    cfg = config(client)
    body = {
        "site": "hottelecom",
        "choices": {"analytics": True},
        "policy_version": cfg["policy_version"],
        "language": "en",
        "text_hash": cfg["text_hash"],
        **change,
    }
    response = _post(client, json.dumps(body))
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]
    assert records(app) == []


def test_tampered_token_is_401(app: Flask, client: FlaskClient) -> None:
    made = decide(client, {"analytics": False}).get_json()
    tampered = made["token"][:-3] + ("AAA" if not made["token"].endswith("AAA") else "BBB")
    response = decide(client, {"analytics": True}, token=tampered)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_invalid"
    url = f"/api/v1/consent/{made['consent_id']}"
    assert client.get(url, headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
    assert len(records(app)) == 1


def test_expired_token_is_401(app: Flask, client: FlaskClient) -> None:
    made = decide(client, {"analytics": True}).get_json()
    with time_machine.travel(timedelta(days=200)):
        response = decide(client, {"analytics": True}, token=made["token"])
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "token_expired"
        url = f"/api/v1/consent/{made['consent_id']}"
        got = client.get(url, headers={"Authorization": f"Bearer {made['token']}"})
        assert got.status_code == 401


def test_token_of_another_site_is_refused(app: Flask, client: FlaskClient) -> None:
    shop_cfg = config(client, site="shop")
    shop = client.post(
        "/api/v1/consent",
        json={
            "site": "shop",
            "choices": {"analytics": True},
            "policy_version": shop_cfg["policy_version"],
            "language": "en",
            "text_hash": shop_cfg["text_hash"],
        },
    ).get_json()
    refused = decide(client, {}, token=shop["token"])
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "token_invalid"
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="consent"'


def test_config_revalidates_with_its_etag(app: Flask, client: FlaskClient) -> None:
    first = client.get("/api/v1/sites/hottelecom/consent-config?lang=en")
    etag = first.headers["ETag"]
    same = client.get(
        "/api/v1/sites/hottelecom/consent-config?lang=en", headers={"If-None-Match": etag}
    )
    assert same.status_code == 304
    assert same.data == b""
    other_language = client.get(
        "/api/v1/sites/hottelecom/consent-config?lang=ru", headers={"If-None-Match": etag}
    )
    assert other_language.status_code == 200
    assert other_language.headers["ETag"] != etag
    # A material change asks again: the old ETag no longer matches.
    publish(app, 2, material=True, days_ago=1)
    changed = client.get(
        "/api/v1/sites/hottelecom/consent-config?lang=en", headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.get_json()["policy_version"] == 2


def test_unknown_consent_id_and_method(client: FlaskClient) -> None:
    made = decide(client, {}).get_json()
    assert client.put(f"/api/v1/consent/{made['consent_id']}").status_code == 405
    response = client.get("/api/v1/sites/nowhere/consent-config")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_site"
