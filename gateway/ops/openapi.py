"""The OpenAPI 3.1 document of the public HTTP API (everything under /api/ and /g/collect).

Declared here, next to nothing but the constants it quotes, so it reads top to bottom:
components first, then one entry per operation. ``tests/test_openapi.py`` keeps it
true: every route under /api/ and /g/collect is documented (and nothing else is), and
schemathesis checks a live server against it.
"""

from __future__ import annotations

from typing import Any

from gateway.analytics.intake import MAX_EVENTS, MODE_AGGREGATE, MODE_EVENT
from gateway.consent.services import KINDS
from gateway.sites import SITE_ID

JSON = "application/json"
TEXT = "text/plain"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(name: str) -> Schema:
    return {"$ref": f"#/components/responses/{name}"}


def _json_body(schema: Schema, description: str, headers: Schema | None = None) -> Schema:
    response: Schema = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def _nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
DATE_TIME_Z = {"type": "string", "format": "date-time"}
CHOICES = {
    "type": "object",
    "description": "Every category of the site: true when granted. `necessary` is always true.",
    "additionalProperties": {"type": "boolean"},
}

SCHEMAS: dict[str, Schema] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Machine-readable, e.g. `malformed_json`, `unknown_site`, "
                        "`token_expired`, `rate_limited`, `unavailable`.",
                    },
                    "message": {"type": "string", "description": "What went wrong, for people."},
                },
            }
        },
    },
    "Category": {
        "type": "object",
        "required": ["id", "required", "title", "description"],
        "properties": {
            "id": {"type": "string", "examples": ["analytics"]},
            "required": {"type": "boolean", "description": "Only `necessary` is required."},
            "title": STRING,
            "description": STRING,
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
            "links",
        ],
        "properties": {
            "site": STRING,
            "name": STRING,
            "language": {"type": "string", "description": "The language of `texts`."},
            "languages": {"type": "array", "items": STRING},
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
            "categories": {"type": "array", "items": _ref("Category")},
            "texts": {"type": "object", "additionalProperties": STRING},
            "text_hash": {
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "SHA-256 of exactly what the visitor is shown (send it back).",
            },
            "links": {
                "type": "object",
                "required": ["policy"],
                "properties": {"policy": STRING},
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
            "text_hash": {"type": "string", "description": "`text_hash` of that consent-config."},
            "token": {
                "type": "string",
                "description": "An earlier token of this visitor: the decision changes that "
                "consent id instead of starting a new one (or send it as a Bearer token).",
            },
            "gpc": {
                "type": "boolean",
                "description": "true: the visitor's browser signals Global Privacy Control "
                "(analytics is refused). `Sec-GPC: 1` has the same effect.",
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
            "expires_at": DATE_TIME_Z,
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
            "consent_id": STRING,
            "site": STRING,
            "choices": CHOICES,
            "policy_version": {"type": "integer"},
            "language": STRING,
            "last_decision": {"type": "string", "enum": list(KINDS)},
            "decided_at": DATE_TIME_Z,
            "decisions": {"type": "integer", "minimum": 1},
            "withdrawn": {"type": "boolean"},
        },
    },
    "CollectBatch": {
        "type": "object",
        "required": ["site", "page", "events"],
        "properties": {
            "site": {"type": "string", "minLength": 1, "examples": ["hottelecom"]},
            "consent": _nullable(
                {
                    "type": "string",
                    "description": "The visitor's consent token: events are kept one by one "
                    "only while it grants analytics; otherwise they are only counted.",
                }
            ),
            "page": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "url": {
                        "type": "string",
                        "minLength": 1,
                        "examples": ["https://hottelecom.example/tariffs?utm_source=mail"],
                    },
                    "referrer": _nullable(STRING),
                    "title": _nullable(STRING),
                },
            },
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_EVENTS,
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {
                            "type": "string",
                            "description": "GA4 event name; invalid or reserved names are "
                            "dropped and counted in `reasons`.",
                            "examples": ["page_view"],
                        },
                        "params": {
                            "type": "object",
                            "description": "Event parameters; identifying ones are dropped, "
                            "personal data in values is redacted.",
                            "additionalProperties": {"type": ["string", "number", "boolean"]},
                        },
                    },
                },
            },
        },
    },
    "CollectResult": {
        "type": "object",
        "required": ["accepted", "dropped", "mode", "reasons"],
        "properties": {
            "accepted": {"type": "integer", "minimum": 0},
            "dropped": {"type": "integer", "minimum": 0},
            "mode": {
                "type": "string",
                "enum": [MODE_EVENT, MODE_AGGREGATE],
                "description": "`event`: valid analytics consent; `aggregate`: counted only.",
            },
            "reasons": {
                "type": "object",
                "description": "Why events were dropped, with counts (e.g. `bot`, "
                "`invalid_event_name`).",
                "additionalProperties": {"type": "integer", "minimum": 1},
            },
        },
    },
    "PolicyVersion": {
        "type": "object",
        "required": [
            "number",
            "status",
            "effective_date",
            "published_at",
            "summary",
            "material",
            "languages",
            "lang",
            "title",
            "markdown",
            "html",
            "links",
            "upcoming",
        ],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": ["current", "upcoming", "superseded"]},
            "effective_date": {"type": "string", "format": "date"},
            "published_at": DATE_TIME_Z,
            "summary": STRING,
            "material": {
                "type": "boolean",
                "description": "A material change: visitors are asked for consent again.",
            },
            "languages": {"type": "array", "items": STRING},
            "lang": {"type": "string", "description": "The language of `title` and the text."},
            "title": STRING,
            "markdown": STRING,
            "html": STRING,
            "links": {
                "type": "object",
                "required": ["self", "html", "versions", "feed", "diff_previous"],
                "properties": {
                    "self": STRING,
                    "html": STRING,
                    "versions": STRING,
                    "feed": STRING,
                    "diff_previous": _nullable(STRING),
                },
            },
            "upcoming": {
                "type": "array",
                "description": "Versions announced after this one and not yet in force.",
                "items": {
                    "type": "object",
                    "required": ["number", "effective_date", "summary", "material", "links"],
                    "properties": {
                        "number": {"type": "integer"},
                        "effective_date": {"type": "string", "format": "date"},
                        "summary": STRING,
                        "material": {"type": "boolean"},
                        "links": {
                            "type": "object",
                            "additionalProperties": STRING,
                        },
                    },
                },
            },
        },
    },
}

HEADERS: dict[str, Schema] = {
    "RetryAfter": {
        "description": "Seconds to wait before sending again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "ETag": {
        "description": "Strong validator; send it back as `If-None-Match` to get 304.",
        "required": True,
        "schema": STRING,
    },
    "WWWAuthenticate": {
        "description": 'Always `Bearer realm="consent"`.',
        "required": True,
        "schema": STRING,
    },
}


def _error_response(description: str, headers: Schema | None = None) -> Schema:
    return _json_body(_ref("Error"), description, headers)


RESPONSES: dict[str, Schema] = {
    "BadRequest": _error_response("Malformed body, or a field fails validation (see message)."),
    "Unauthorized": _error_response(
        "No consent token, or an invalid or expired one.",
        {"WWW-Authenticate": {"$ref": "#/components/headers/WWWAuthenticate"}},
    ),
    "Forbidden": _error_response(
        "The request's Origin is not one of the site's origins, or the token is for another "
        "consent id."
    ),
    "NotFound": _error_response("Unknown site, consent id or policy version."),
    "PayloadTooLarge": _error_response("Body over 64 KiB."),
    "UnsupportedMediaType": _error_response("Content type not accepted here."),
    "TooManyRequests": _error_response(
        "Rate limit reached.", {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
    ),
    "Unavailable": _error_response(
        "Storage briefly unavailable; nothing was written. Send again after Retry-After.",
        {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
    ),
    "NotModified": {
        "description": "The representation named by If-None-Match is still current.",
        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
    },
}

PARAMETERS: dict[str, Schema] = {
    "Lang": {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Preferred language (`ru`, `en`); otherwise Accept-Language, then the "
        "default.",
        "schema": {"type": "string", "examples": ["ru"]},
    },
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": "An ETag from an earlier answer.",
        "schema": STRING,
    },
    "GlobalPrivacyControl": {
        "name": "Sec-GPC",
        "in": "header",
        "required": False,
        "description": "`1`: Global Privacy Control; analytics is refused (events only counted).",
        "schema": {"type": "string", "enum": ["1"]},
    },
    "ConsentId": {
        "name": "consent_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "examples": ["abcd-efgh-ijkl-mnop"]},
    },
}


def _errors(*names: str) -> dict[str, Schema]:
    codes = {
        "BadRequest": "400",
        "Unauthorized": "401",
        "Forbidden": "403",
        "NotFound": "404",
        "PayloadTooLarge": "413",
        "UnsupportedMediaType": "415",
        "TooManyRequests": "429",
        "Unavailable": "503",
    }
    return {codes[name]: _error(name) for name in names}


def _cached_json(schema: Schema, description: str) -> dict[str, Schema]:
    """A 200 with an ETag, and the 304 that answers a matching If-None-Match."""
    return {
        "200": _json_body(
            schema,
            description,
            {
                "ETag": {"$ref": "#/components/headers/ETag"},
                "Cache-Control": {"schema": STRING, "description": "`public, max-age=300`."},
            },
        ),
        "304": _error("NotModified"),
    }


GPC = {"$ref": "#/components/parameters/GlobalPrivacyControl"}
CORS_ORIGIN = {
    "name": "Origin",
    "in": "header",
    "required": False,
    "description": "Sent by browsers; when present it must be one of the site's origins "
    "(or the gateway's own), otherwise 403.",
    "schema": STRING,
}


LOCALISED = {
    "Content-Language": {
        "required": True,
        "description": "The language of the text (`lang` in the body).",
        "schema": STRING,
    }
}


def _gtag_query() -> list[Schema]:
    fields = [
        ("v", "Protocol version; only `2` (GA4).", "2"),
        ("tid", "Measurement id of one of the sites.", "G-XXXXXXXXXX"),
        ("en", "Event name (or one per body line).", "page_view"),
        ("dl", "Page URL.", "https://hottelecom.example/"),
        ("dr", "Referrer.", None),
        ("dt", "Page title.", None),
        ("cid", "gtag's client id: never forwarded; hashed in event mode.", None),
        ("gcs", "Consent state `G1<ads><analytics>`: event mode only when analytics is 1.", None),
        ("_et", "Engagement time in milliseconds.", None),
    ]
    params = []
    for name, description, example in fields:
        schema: Schema = {"type": "string"}
        if example is not None:
            schema["examples"] = [example]
        params.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": schema,
            }
        )
    return params


GTAG_DESCRIPTION = (
    "GA4 gtag.js hits (point gtag's `server_container_url` at the gateway). Shared fields "
    "come in the query string, `ep.<name>` / `epn.<name>` carry event parameters; a POST body "
    "holds one event per line in the same encoding (at most "
    f"{MAX_EVENTS}). The hit is anonymized like /api/v1/collect; the client id is never "
    "forwarded. Other fields (user properties, screen, language) are ignored."
)


def _gtag_operation(method: str) -> Schema:
    operation: Schema = {
        "operationId": f"gtagCollect{method.capitalize()}",
        "tags": ["analytics"],
        "summary": "GA4 gtag hits",
        "description": GTAG_DESCRIPTION,
        "parameters": [*_gtag_query(), CORS_ORIGIN, GPC],
        "responses": {
            "204": {"description": "Accepted (kept or counted)."},
            **_errors("BadRequest", "Forbidden", "NotFound"),
            **(_errors("PayloadTooLarge", "UnsupportedMediaType") if method == "post" else {}),
            **_errors("TooManyRequests", "Unavailable"),
        },
    }
    if method == "post":
        operation["requestBody"] = {
            "required": False,
            "description": "Batched hits, one URL-encoded event per line (`en=…&ep.x=…`). "
            "Also accepted without a content type or as application/x-www-form-urlencoded, "
            "as gtag.js sends it.",
            "content": {
                TEXT: {"schema": {"type": "string", "examples": ["en=page_view\nen=scroll"]}}
            },
        }
    return operation


def _paths() -> dict[str, Schema]:
    consent_security: list[Schema] = [{"consentToken": []}]
    return {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenAPI",
                "tags": ["meta"],
                "summary": "This document",
                "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                "responses": _cached_json({"type": "object"}, "The OpenAPI 3.1 document."),
            }
        },
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
                    **_cached_json(_ref("ConsentConfig"), "The configuration, in one language."),
                    **_errors("NotFound", "TooManyRequests", "Unavailable"),
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
                "security": [{}, *consent_security],
                "parameters": [CORS_ORIGIN, GPC],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": _ref("ConsentDecision")},
                        TEXT: {
                            "schema": {
                                "type": "string",
                                "description": "The same JSON object, as text.",
                            }
                        },
                    },
                },
                "responses": {
                    "201": _json_body(
                        _ref("ConsentCreated"),
                        "Recorded.",
                        {"Cache-Control": {"schema": {"const": "no-store"}}},
                    ),
                    **_errors(
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
                "security": consent_security,
                "responses": {
                    "200": _json_body(_ref("ConsentState"), "The latest decision."),
                    **_errors(
                        "Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "Unavailable"
                    ),
                },
            },
            "delete": {
                "operationId": "withdrawConsent",
                "tags": ["consent"],
                "summary": "Withdraw a consent",
                "description": "Recorded like any decision; withdrawing again records nothing.",
                "security": consent_security,
                "parameters": [CORS_ORIGIN],
                "responses": {
                    "200": _json_body(_ref("ConsentState"), "Withdrawn (the new state)."),
                    **_errors(
                        "Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "Unavailable"
                    ),
                },
            },
        },
        "/api/v1/collect": {
            "post": {
                "operationId": "collect",
                "tags": ["analytics"],
                "summary": "Analytics events from the banner's tracker",
                "description": "Identifiers are stripped before anything is stored; bots are "
                "dropped. `text/plain` is what navigator.sendBeacon sends.",
                "parameters": [CORS_ORIGIN, GPC],
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {"schema": _ref("CollectBatch")},
                        TEXT: {
                            "schema": {
                                "type": "string",
                                "description": "The same JSON object, as text.",
                            }
                        },
                    },
                },
                "responses": {
                    "202": _json_body(_ref("CollectResult"), "Accepted (kept or counted)."),
                    **_errors(
                        "BadRequest",
                        "Forbidden",
                        "NotFound",
                        "PayloadTooLarge",
                        "UnsupportedMediaType",
                        "TooManyRequests",
                        "Unavailable",
                    ),
                },
            },
            "options": {
                "operationId": "collectPreflight",
                "tags": ["analytics"],
                "summary": "CORS preflight for the sites' origins",
                "parameters": [{**CORS_ORIGIN, "required": True}],
                "responses": {
                    "204": {
                        "description": "The origin may POST.",
                        "headers": {
                            "Access-Control-Allow-Origin": {"required": True, "schema": STRING},
                            "Access-Control-Allow-Methods": {"required": True, "schema": STRING},
                            "Access-Control-Max-Age": {
                                "required": True,
                                "schema": {"type": "integer"},
                            },
                        },
                    },
                    **_errors("Forbidden"),
                },
            },
        },
        "/g/collect": {"get": _gtag_operation("get"), "post": _gtag_operation("post")},
        "/api/v1/policy": {
            "get": {
                "operationId": "getCurrentPolicy",
                "tags": ["policy"],
                "summary": "The privacy policy in force",
                "parameters": [{"$ref": "#/components/parameters/Lang"}],
                "responses": {
                    "200": _json_body(_ref("PolicyVersion"), "The current version.", LOCALISED),
                    **_errors("NotFound", "TooManyRequests", "Unavailable"),
                },
            }
        },
        "/api/v1/policy/{number}": {
            "get": {
                "operationId": "getPolicyVersion",
                "tags": ["policy"],
                "summary": "One published version of the privacy policy",
                "parameters": [
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1},
                    },
                    {"$ref": "#/components/parameters/Lang"},
                ],
                "responses": {
                    "200": _json_body(_ref("PolicyVersion"), "That version.", LOCALISED),
                    **_errors("NotFound", "TooManyRequests", "Unavailable"),
                },
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (a fresh dict each call; the view caches the JSON)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "HotTelecom privacy gateway API",
            "version": "1",
            "description": "Consent, analytics intake and the privacy policy. Errors are "
            '`{"error": {"code", "message"}}` with the status saying why; the gateway never '
            "answers 500 to what a client sends. Limits are per client address.",
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "consent", "description": "Banner configuration and proof of consent."},
            {"name": "analytics", "description": "Anonymizing intake."},
            {"name": "policy", "description": "Versioned privacy policy."},
            {"name": "meta", "description": "This document."},
        ],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "parameters": PARAMETERS,
            "headers": HEADERS,
            "securitySchemes": {
                "consentToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The `token` returned when the decision was recorded.",
                }
            },
        },
    }
