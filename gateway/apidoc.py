"""Building blocks of the OpenAPI 3.1 document, and the registry the faces fill.

Each face declares the paths and schemas of its own routes (in its
``openapi.py``, next to its views) and registers them from its ``init_app``;
``gateway.ops.openapi`` only assembles the document. What several faces share
(the error shape, the common responses, parameters and headers) is here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

JSON = "application/json"
TEXT = "text/plain"
Schema = dict[str, Any]
PARTS_KEY = "gateway.openapi_parts"


@dataclass(frozen=True)
class ApiPart:
    """One face's share of the document: its tag, its paths and the components they use."""

    tag: str
    description: str
    paths: Mapping[str, Schema]
    schemas: Mapping[str, Schema] = field(default_factory=dict)
    parameters: Mapping[str, Schema] = field(default_factory=dict)
    order: int = 50  # position of the tag (and its paths) in the document


def register_api(app: Flask, part: ApiPart) -> None:
    app.extensions.setdefault(PARTS_KEY, []).append(part)


def api_parts(app: Flask) -> list[ApiPart]:
    return sorted(app.extensions.get(PARTS_KEY, []), key=lambda part: part.order)


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def error(name: str) -> Schema:
    return {"$ref": f"#/components/responses/{name}"}


def json_body(schema: Schema, description: str, headers: Schema | None = None) -> Schema:
    response: Schema = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
DATE_TIME_Z = {"type": "string", "format": "date-time"}

ERROR_SCHEMAS: dict[str, Schema] = {
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


def error_response(description: str, headers: Schema | None = None) -> Schema:
    return json_body(ref("Error"), description, headers)


RESPONSES: dict[str, Schema] = {
    "BadRequest": error_response("Malformed body, or a field fails validation (see message)."),
    "Unauthorized": error_response(
        "No consent token, or an invalid or expired one.",
        {"WWW-Authenticate": {"$ref": "#/components/headers/WWWAuthenticate"}},
    ),
    "Forbidden": error_response(
        "The request's Origin is not one of the site's origins, or the token is for another "
        "consent id."
    ),
    "NotFound": error_response("Unknown site, consent id or policy version."),
    "PayloadTooLarge": error_response("Body over 64 KiB."),
    "UnsupportedMediaType": error_response("Content type not accepted here."),
    "TooManyRequests": error_response(
        "Rate limit reached.", {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
    ),
    "Unavailable": error_response(
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
}


def errors(*names: str) -> dict[str, Schema]:
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
    return {codes[name]: error(name) for name in names}


def cached_json(schema: Schema, description: str) -> dict[str, Schema]:
    """A 200 with an ETag, and the 304 that answers a matching If-None-Match."""
    return {
        "200": json_body(
            schema,
            description,
            {
                "ETag": {"$ref": "#/components/headers/ETag"},
                "Cache-Control": {"schema": STRING, "description": "`public, max-age=300`."},
            },
        ),
        "304": error("NotModified"),
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
