"""The OpenAPI 3.1 document of the public HTTP API (everything under /api/ and /g/collect).

Each face declares its own paths and schemas next to its routes and registers
them (``gateway.apidoc.register_api``); this module only assembles them, with
the components they share, into one document. ``tests/test_openapi.py`` keeps
it true: every route under /api/ and /g/collect is documented (and nothing
else is), and schemathesis checks a live server against it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from gateway.apidoc import (
    ERROR_SCHEMAS,
    HEADERS,
    PARAMETERS,
    RESPONSES,
    ApiPart,
    Schema,
    api_parts,
    cached_json,
)

META = ApiPart(
    "meta",
    "This document.",
    {
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenAPI",
                "tags": ["meta"],
                "summary": "This document",
                "parameters": [{"$ref": "#/components/parameters/IfNoneMatch"}],
                "responses": cached_json({"type": "object"}, "The OpenAPI 3.1 document."),
            }
        }
    },
    order=90,
)


def openapi_document(app: Flask) -> dict[str, Any]:
    """The whole document (a fresh dict each call; the view caches the JSON)."""
    parts = sorted([*api_parts(app), META], key=lambda part: part.order)
    paths: dict[str, Schema] = {}
    schemas: dict[str, Schema] = dict(ERROR_SCHEMAS)
    parameters: dict[str, Schema] = dict(PARAMETERS)
    for part in parts:
        for name, group, declared in (
            ("path", paths, part.paths),
            ("schema", schemas, part.schemas),
            ("parameter", parameters, part.parameters),
        ):
            clash = set(group) & set(declared)
            if clash:
                raise ValueError(f"{part.tag} declares the {name} {sorted(clash)[0]!r} again")
            group.update(declared)
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
        "tags": [{"name": part.tag, "description": part.description} for part in parts],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": RESPONSES,
            "parameters": parameters,
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
