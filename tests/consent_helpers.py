"""Shared helpers for the consent tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from gateway.consent.models import ConsentRecord
from gateway.extensions import db
from gateway.policy.models import PolicyVersion

ORIGIN = "https://hottelecom.example"
# Screenshots the browser tests take, to be looked at (not compared).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "instance" / "screenshots"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def serious_findings(results: Any) -> list[str]:
    """axe's serious and critical violations, each with the elements it names."""
    return [
        f"{v['id']}: {v['help']} ({[n['target'] for n in v['nodes']]})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def publish(app: Flask, number: int, *, material: bool, days_ago: int = 10) -> None:
    """A policy version row, as the policy face would publish it.

    Version 1 is loaded by `gateway db upgrade`; asking for it again sets its facts.
    """
    effective = date.today() - timedelta(days=days_ago)
    with app.app_context(), db.transaction() as session:
        existing = session.scalar(sa.select(PolicyVersion).where(PolicyVersion.number == number))
        if existing is not None:
            existing.effective_date = effective
            existing.material = material
            existing.summary = f"version {number}"
            return
        session.add(
            PolicyVersion(
                number=number,
                effective_date=effective,
                material=material,
                summary=f"version {number}",
            )
        )


def config(client: FlaskClient, lang: str = "en", site: str = "hottelecom") -> dict[str, Any]:
    response = client.get(f"/api/v1/sites/{site}/consent-config?lang={lang}")
    assert response.status_code == 200, response.data
    return response.get_json()  # type: ignore[no-any-return]


def decide(
    client: FlaskClient,
    choices: dict[str, Any],
    *,
    lang: str = "en",
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Any:
    cfg = config(client, lang)
    body: dict[str, Any] = {
        "site": "hottelecom",
        "choices": choices,
        "policy_version": cfg["policy_version"],
        "language": lang,
        "text_hash": cfg["text_hash"],
        **extra,
    }
    if token:
        body["token"] = token
    return client.post("/api/v1/consent", json=body, headers={"Origin": ORIGIN, **(headers or {})})


def records(app: Flask) -> list[ConsentRecord]:
    with app.app_context():
        return list(db.session().scalars(sa.select(ConsentRecord).order_by(ConsentRecord.seq)))


def recorded_token(
    app: Flask, *, site: str = "hottelecom", analytics: bool = True, consent_id: str = "c-1"
) -> str:
    """A consent token backed by its proof of consent, as the consent API makes them."""
    import json

    from gateway.consent import chain
    from gateway.consent.tokens import ConsentClaims, issue_token
    from gateway.timeutil import utcnow

    choices = {"analytics": analytics, "necessary": True}
    with app.app_context(), db.transaction() as session:
        chain.append(
            session,
            {
                "consent_id": consent_id,
                "site": site,
                "kind": "accept_all" if analytics else "reject_all",
                "source": "banner",
                "choices": json.dumps(choices, sort_keys=True, separators=(",", ":")),
                "policy_version": 1,
                "language": "en",
                "text_hash": "0" * 64,
                "browser_family": "Chrome",
            },
            utcnow(),
        )
        return issue_token(ConsentClaims(consent_id, site, choices, 1))


# The page's script stores the answer a moment after the response reaches the test.
APPLIED = """([id, choices]) => { const s = window.HotConsent && HotConsent.get();
  return !!s && s.consentId === id
    && Object.keys(choices).every(k => s.choices[k] === choices[k]); }"""


def decide_in_page(page: Any, name: str) -> dict[str, Any]:
    """Click the banner button `name`, wait until the page has applied the answer, return it."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/consent")) as info:
        page.get_by_role("button", name=name, exact=True).first.click()
    response = info.value
    assert response.status == 201
    answer: dict[str, Any] = response.json()
    page.wait_for_function(APPLIED, arg=[answer["consent_id"], answer["choices"]])
    return answer
