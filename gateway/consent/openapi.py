"""OpenAPI paths and schemas of the consent API (gateway.consent.views)."""

from __future__ import annotations

from gateway import apidoc as doc
from gateway.consent.services import KINDS
from gateway.sites import SITE_ID

CHOICES = {
    "type": "object",
    "description": "Every category of the site: true when granted. `necessary` is always true.",
    "additionalProperties": {"type": "boolean"},
}

SCHEMAS: dict[str, doc.Schema] = {
    "Category": {
        "type": "object",
        "required": ["id", "required", "title", "description"],
        "properties": {
            "id": {"type": "string", "examples": ["analytics"]},
            "required": {"type": "boolean", "description": "Only `necessary` is required."},
            "title": doc.STRING,
            "description": doc.STRING,
        },
    },
    "ConsentConfig": {
        "type": "object",
        "required": [
            "site",
            "name",
            "language",
            "languages",
            "policy_version",
            "current_version",
            "upcoming",
            "categories",
            "texts",
            "text_hash",
            "look",
            "links",
        ],
        "properties": {
            "site": doc.STRING,
            "name": doc.STRING,
            "language": {"type": "string", "description": "The language of `texts`."},
            "languages": {"type": "array", "items": doc.STRING},
            "policy_version": {
                "type": "integer",
                "description": "The policy version visitors are asked about (send it back).",
            },
            "current_version": {"type": "integer", "description": "The version in force."},
            "upcoming": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["version", "effective_date"],
                    "properties": {
                        "version": {"type": "integer"},
                        "effective_date": {"type": "string", "format": "date"},
                    },
                },
            },
            "categories": {"type": "array", "items": doc.ref("Category")},
            "texts": {"type": "object", "additionalProperties": doc.STRING},
            "text_hash": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of exactly what the visitor is shown (send it back).",
            },
            "look": {
                "type": "object",
                "required": ["accent", "layout"],
                "description": "The banner's look from the sites file.",
                "properties": {
                    "accent": {
                        "type": ["string", "null"],
                        "pattern": "^#[0-9a-f]{6}$",
                        "description": "Accent colour (white text on it), null for the default.",
                    },
                    "layout": {"type": "string", "enum": ["bar", "box"]},
                },
            },
            "links": {
                "type": "object",
                "required": ["policy"],
                "properties": {"policy": doc.STRING},
            },
        },
    },
    "ConsentDecision": {
        "type": "object",
        "required": ["site", "choices", "policy_version", "language", "text_hash"],
        "properties": {
            "site": {"type": "string", "examples": ["hottelecom"]},
            "choices": {
                "type": "object",
                "description": "Category id → granted. Categories left out are refused; "
                "unknown ones are an error.",
                "additionalProperties": {"type": "boolean"},
                "examples": [{"analytics": True}],
            },
            "policy_version": {
                "type": "integer",
                "minimum": 0,
                "description": "`policy_version` of the consent-config the visitor saw.",
            },
            "language": {"type": "string", "examples": ["ru"]},
            "text_hash": {
                "type": "string",
                "description": (
                    "`text_hash` of that consent-config (or its first 16 characters, as the "
                    "banner sends; the whole hash is recorded)."
                ),
            },
            "token": {
                "type": "string",
                "description": "An earlier token of this visitor: the decision changes that "
                "consent id instead of starting a new one (or send it as a Bearer token).",
            },
            "gpc": {
                "type": "boolean",
                "description": "true: the visitor's browser signals Global Privacy Control "
                "(analytics is refused). `Sec-doc.GPC: 1` has the same effect.",
            },
        },
    },
    "ConsentCreated": {
        "type": "object",
        "required": ["consent_id", "token", "choices", "policy_version", "decision", "expires_at"],
        "properties": {
            "consent_id": {"type": "string", "pattern": "^[a-z2-7]{4}(-[a-z2-7]{4}){3}$"},
            "token": {
                "type": "string",
                "description": "Signed token; keep it in a first-party cookie and send it as "
                "`Authorization: Bearer` to read or withdraw this consent.",
            },
            "choices": CHOICES,
            "policy_version": {"type": "integer"},
            "decision": {"type": "string", "enum": list(KINDS)},
            "expires_at": doc.DATE_TIME_Z,
        },
    },
    "ConsentState": {
        "type": "object",
        "required": [
            "consent_id",
            "site",
            "choices",
            "policy_version",
            "language",
            "last_decision",
            "decided_at",
            "decisions",
            "withdrawn",
        ],
        "properties": {
            "consent_id": doc.STRING,
            "site": doc.STRING,
            "choices": CHOICES,
            "policy_version": {"type": "integer"},
            "language": doc.STRING,
            "last_decision": {"type": "string", "enum": list(KINDS)},
            "decided_at": doc.DATE_TIME_Z,
            "decisions": {"type": "integer", "minimum": 1},
            "withdrawn": {"type": "boolean"},
        },
    },
}

PARAMETERS: dict[str, doc.Schema] = {
    "ConsentId": {
        "name": "consent_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["abcd-efgh-ijkl-mnop"]},
    },
}

CONSENT_SECURITY: list[doc.Schema] = [{"consentToken": []}]

PATHS: dict[str, doc.Schema] = {
    "/api/v1/sites/{site_id}/consent-config": {
        "get": {
            "operationId": "getConsentConfig",
            "tags": ["consent"],
            "summary": "A site's consent configuration and banner texts",
            "parameters": [
                {
                    "name": "site_id",
                    "in": "path",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "pattern": SITE_ID.pattern,
                        "examples": ["hottelecom"],
                    },
                },
                {"$ref": "#/components/parameters/Lang"},
                {"$ref": "#/components/parameters/IfNoneMatch"},
            ],
            "responses": {
                **doc.cached_json(doc.ref("ConsentConfig"), "The configuration, in one language."),
                **doc.errors("NotFound", "TooManyRequests", "Unavailable"),
            },
        }
    },
    "/api/v1/consent": {
        "post": {
            "operationId": "recordConsent",
            "tags": ["consent"],
            "summary": "Record a decision (a new one, or a change with an earlier token)",
            "description": "Every decision is appended to the tamper-evident proof of "
            "consent. `text/plain` is accepted so browsers send it without a preflight.",
            "security": [{}, *CONSENT_SECURITY],
            "parameters": [doc.CORS_ORIGIN, doc.GPC],
            "requestBody": {
                "required": True,
                "content": {
                    doc.JSON: {"schema": doc.ref("ConsentDecision")},
                    doc.TEXT: {
                        "schema": {
                            "type": "string",
                            "description": "The same doc.JSON object, as text.",
                        }
                    },
                },
            },
            "responses": {
                "201": doc.json_body(
                    doc.ref("ConsentCreated"),
                    "Recorded.",
                    {"Cache-Control": {"schema": {"const": "no-store"}}},
                ),
                **doc.errors(
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                    "PayloadTooLarge",
                    "UnsupportedMediaType",
                    "TooManyRequests",
                    "Unavailable",
                ),
            },
        }
    },
    "/api/v1/consent/standing": {
        "post": {
            "operationId": "consentStanding",
            "tags": ["consent"],
            "summary": "Whether the consent in a token still stands (asked by the banner at "
            "each page load)",
            "description": "Reads the latest decision of the token's consent: a withdrawal "
            "made elsewhere is known at the visitor's next page. `text/plain` is accepted so "
            "browsers send it without a preflight.",
            "parameters": [doc.CORS_ORIGIN],
            "requestBody": {
                "required": True,
                "content": {
                    doc.JSON: {
                        "schema": {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string"}},
                        }
                    },
                    doc.TEXT: {"schema": {"type": "string"}},
                },
            },
            "responses": {
                "200": doc.json_body(
                    {
                        "type": "object",
                        "required": ["withdrawn", "choices", "policy_version"],
                        "properties": {
                            "withdrawn": {"type": "boolean"},
                            "choices": {
                                "type": "object",
                                "additionalProperties": {"type": "boolean"},
                            },
                            "policy_version": {"type": "integer"},
                        },
                    },
                    "The consent's standing.",
                    {"Cache-Control": {"schema": {"const": "no-store"}}},
                ),
                **doc.errors(
                    "BadRequest",
                    "Unauthorized",
                    "Forbidden",
                    "NotFound",
                    "PayloadTooLarge",
                    "UnsupportedMediaType",
                    "TooManyRequests",
                    "Unavailable",
                ),
            },
        }
    },
    "/api/v1/consent/{consent_id}": {
        "parameters": [{"$ref": "#/components/parameters/ConsentId"}],
        "get": {
            "operationId": "getConsent",
            "tags": ["consent"],
            "summary": "The current state of a consent",
            "security": CONSENT_SECURITY,
            "responses": {
                "200": doc.json_body(doc.ref("ConsentState"), "The latest decision."),
                **doc.errors(
                    "Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "Unavailable"
                ),
            },
        },
        "delete": {
            "operationId": "withdrawConsent",
            "tags": ["consent"],
            "summary": "Withdraw a consent",
            "description": "Recorded like any decision; withdrawing again records nothing.",
            "security": CONSENT_SECURITY,
            "parameters": [doc.CORS_ORIGIN],
            "responses": {
                "200": doc.json_body(doc.ref("ConsentState"), "Withdrawn (the new state)."),
                **doc.errors(
                    "Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "Unavailable"
                ),
            },
        },
    },
}

API = doc.ApiPart(
    "consent",
    "Banner configuration and proof of consent.",
    PATHS,
    SCHEMAS,
    PARAMETERS,
    order=10,
)
