"""One itsdangerous serializer per purpose, each with its own salt, over the key list.

``SECRET_KEYS`` lists the newest key first; itsdangerous wants it last, so the
list is reversed here. Tokens signed with any listed key verify; new tokens
use the first key.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

# Each purpose has its own salt, so a token made for one can never pass as another.
SALTS = {
    "consent": "hottelecom.gateway.consent.v1",
    "contact-verify": "hottelecom.gateway.contact.verify.v1",
    "contact-status": "hottelecom.gateway.contact.status.v1",
    "contact-form": "hottelecom.gateway.contact.form.v1",
    "contact-data": "hottelecom.gateway.contact.data.v1",
}


def serializer(purpose: str) -> URLSafeTimedSerializer:
    keys = list(current_app.config["SECRET_KEYS"])
    if not keys:
        raise RuntimeError("no secret keys configured")
    return URLSafeTimedSerializer(list(reversed(keys)), salt=SALTS[purpose])
