"""The consent token: what the banner keeps in its first-party cookie.

It is signed (not encrypted) and carries only the consent id, the site, the
choices and the policy version they were made under. Analytics trusts it for
event mode only while it verifies and has not expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired

from gateway.signing import serializer


@dataclass(frozen=True)
class ConsentClaims:
    consent_id: str
    site: str
    choices: dict[str, bool]
    policy_version: int

    def grants(self, category: str) -> bool:
        return bool(self.choices.get(category, False))


class TokenInvalid(Exception):
    """Tampered, malformed or signed with an unknown key."""


class TokenExpired(TokenInvalid):
    """Older than CONSENT_MAX_AGE."""


def max_age_seconds() -> int:
    return int(current_app.config["CONSENT_MAX_AGE"]) * 86400


def issue_token(claims: ConsentClaims) -> str:
    payload = {
        "cid": claims.consent_id,
        "site": claims.site,
        "c": {k: bool(v) for k, v in sorted(claims.choices.items())},
        "pv": claims.policy_version,
    }
    return serializer("consent").dumps(payload)


def _claims(payload: Any) -> ConsentClaims:
    if not isinstance(payload, dict):
        raise TokenInvalid("malformed token")
    cid, site, choices, version = (
        payload.get("cid"),
        payload.get("site"),
        payload.get("c"),
        payload.get("pv"),
    )
    if (
        not isinstance(cid, str)
        or not isinstance(site, str)
        or not isinstance(choices, dict)
        or not isinstance(version, int)
    ):
        raise TokenInvalid("malformed token")
    return ConsentClaims(cid, site, {str(k): bool(v) for k, v in choices.items()}, version)


def read_token(token: str) -> ConsentClaims:
    """Verify a token; raises TokenExpired or TokenInvalid."""
    if not token or len(token) > 2048:
        raise TokenInvalid("malformed token")
    try:
        payload = serializer("consent").loads(token, max_age=max_age_seconds())
    except SignatureExpired as exc:
        raise TokenExpired("consent token expired") from exc
    except BadSignature as exc:
        raise TokenInvalid("consent token invalid") from exc
    return _claims(payload)
