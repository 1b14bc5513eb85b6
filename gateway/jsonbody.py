"""JSON request bodies as the API reads them: UTF-8 only, and only text a database can keep.

``json.loads`` on bytes also accepts UTF-16/32 and encoded surrogates, and its
``\\uXXXX`` escapes can spell lone surrogates and NUL: strings that neither
SQLite's UTF-8 nor PostgreSQL's text can store. Browsers do send lone
surrogates (``JSON.stringify`` of a title cut in the middle of an emoji), so
they become U+FFFD, as a browser's own encoder does, and NUL is dropped.
"""

from __future__ import annotations

import json
import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONBodyError(ValueError):
    """The body is not a JSON document in UTF-8; the message says which."""


def storable_text(text: str) -> str:
    """``text`` without NUL, lone surrogates replaced by U+FFFD."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", text)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if isinstance(value, dict):
        return {storable_text(key): _storable(item) for key, item in value.items()}
    return value


def parse_json_body(body: bytes) -> Any:
    """The JSON document in ``body``; raises JSONBodyError when it is not one."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JSONBodyError("body is not valid JSON (not UTF-8 text)") from exc
    if not text.strip():
        raise JSONBodyError("empty body")
    try:
        data = json.loads(text)
        # Only an escape can spell NUL or a lone surrogate (strict UTF-8 and JSON's
        # ban on raw control characters rule out the rest), so most bodies skip the walk.
        return _storable(data) if "\\u" in text else data
    except (ValueError, RecursionError) as exc:
        raise JSONBodyError("body is not valid JSON") from exc
