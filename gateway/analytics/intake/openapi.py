"""OpenAPI paths and schemas of the intake (gateway.analytics.intake.views)."""

from __future__ import annotations

from gateway import apidoc as doc
from gateway.analytics.intake.pipeline import MAX_EVENTS, MODE_AGGREGATE, MODE_EVENT

SCHEMAS: dict[str, doc.Schema] = {
    "CollectBatch": {
        "type": "object",
        "required": ["site", "page", "events"],
        "properties": {
            "site": {"type": "string", "minLength": 1, "examples": ["hottelecom"]},
            "consent": doc.nullable(
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
                    "referrer": doc.nullable(doc.STRING),
                    "title": doc.nullable(doc.STRING),
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
}


def _gtag_query() -> list[doc.Schema]:
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
        schema: doc.Schema = {"type": "string"}
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


def _gtag_operation(method: str) -> doc.Schema:
    operation: doc.Schema = {
        "operationId": f"gtagCollect{method.capitalize()}",
        "tags": ["analytics"],
        "summary": "GA4 gtag hits",
        "description": GTAG_DESCRIPTION,
        "parameters": [*_gtag_query(), doc.CORS_ORIGIN, doc.GPC],
        "responses": {
            "204": {"description": "Accepted (kept or counted)."},
            **doc.errors("BadRequest", "Forbidden", "NotFound"),
            **(doc.errors("PayloadTooLarge", "UnsupportedMediaType") if method == "post" else {}),
            **doc.errors("TooManyRequests", "Unavailable"),
        },
    }
    if method == "post":
        operation["requestBody"] = {
            "required": False,
            "description": "Batched hits, one URL-encoded event per line (`en=…&ep.x=…`). "
            "Also accepted without a content type or as application/x-www-form-urlencoded, "
            "as gtag.js sends it.",
            "content": {
                doc.TEXT: {"schema": {"type": "string", "examples": ["en=page_view\nen=scroll"]}}
            },
        }
    return operation


PATHS: dict[str, doc.Schema] = {
    "/api/v1/collect": {
        "post": {
            "operationId": "collect",
            "tags": ["analytics"],
            "summary": "Analytics events from the banner's tracker",
            "description": "Identifiers are stripped before anything is stored; bots are "
            "dropped. `text/plain` is what navigator.sendBeacon sends.",
            "parameters": [doc.CORS_ORIGIN, doc.GPC],
            "requestBody": {
                "required": True,
                "content": {
                    doc.JSON: {"schema": doc.ref("CollectBatch")},
                    doc.TEXT: {
                        "schema": {
                            "type": "string",
                            "description": "The same doc.JSON object, as text.",
                        }
                    },
                },
            },
            "responses": {
                "202": doc.json_body(doc.ref("CollectResult"), "Accepted (kept or counted)."),
                **doc.errors(
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
            "parameters": [{**doc.CORS_ORIGIN, "required": True}],
            "responses": {
                "204": {
                    "description": "The origin may POST.",
                    "headers": {
                        "Access-Control-Allow-Origin": {"required": True, "schema": doc.STRING},
                        "Access-Control-Allow-Methods": {"required": True, "schema": doc.STRING},
                        "Access-Control-Max-Age": {
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                    },
                },
                **doc.errors("Forbidden"),
            },
        },
    },
    "/g/collect": {"get": _gtag_operation("get"), "post": _gtag_operation("post")},
}

API = doc.ApiPart("analytics", "Anonymizing intake.", PATHS, SCHEMAS, order=20)
