"""OpenAPI paths and schemas of the policy API (gateway.policy.views)."""

from __future__ import annotations

from gateway import apidoc as doc

SCHEMAS: dict[str, doc.Schema] = {
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
            "published_at": doc.DATE_TIME_Z,
            "summary": doc.STRING,
            "material": {
                "type": "boolean",
                "description": "A material change: visitors are asked for consent again.",
            },
            "languages": {"type": "array", "items": doc.STRING},
            "lang": {"type": "string", "description": "The language of `title` and the text."},
            "title": doc.STRING,
            "markdown": doc.STRING,
            "html": doc.STRING,
            "links": {
                "type": "object",
                "required": ["self", "html", "versions", "feed", "diff_previous"],
                "properties": {
                    "self": doc.STRING,
                    "html": doc.STRING,
                    "versions": doc.STRING,
                    "feed": doc.STRING,
                    "diff_previous": doc.nullable(doc.STRING),
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
                        "summary": doc.STRING,
                        "material": {"type": "boolean"},
                        "links": {
                            "type": "object",
                            "additionalProperties": doc.STRING,
                        },
                    },
                },
            },
        },
    },
}

PATHS: dict[str, doc.Schema] = {
    "/api/v1/policy": {
        "get": {
            "operationId": "getCurrentPolicy",
            "tags": ["policy"],
            "summary": "The privacy policy in force",
            "parameters": [{"$ref": "#/components/parameters/Lang"}],
            "responses": {
                "200": doc.json_body(
                    doc.ref("PolicyVersion"), "The current version.", doc.LOCALISED
                ),
                **doc.errors("NotFound", "TooManyRequests", "Unavailable"),
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
                "200": doc.json_body(doc.ref("PolicyVersion"), "That version.", doc.LOCALISED),
                **doc.errors("NotFound", "TooManyRequests", "Unavailable"),
            },
        }
    },
}

API = doc.ApiPart("policy", "Versioned privacy policy.", PATHS, SCHEMAS, order=30)
