"""Text rules that hold on both databases: PostgreSQL cannot store U+0000 in text."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

NUL_RULE = "must not contain the NUL character (U+0000)"
# JSON-schema patterns of the text rules, for the OpenAPI document (the validators stay the
# rule; the document must not promise what they refuse): no control characters but tab,
# line feed (and carriage return where noted); and the same with one character
# that is not white space (a value that is blank once trimmed is refused).
NO_CONTROL = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
NO_CONTROL_BUT_BREAKS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
NOT_BLANK = r"^[^\x00-\x08\x0b-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x08\x0b-\x1f\x7f]*$"


def nul_field(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) in a JSON value that holds U+0000."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = nul_field(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_field(item, f"{path}[{index}]" if path else f"[{index}]")
            if found:
                return found
    return None


def nul_in_pairs(pairs: str) -> str | None:
    """The first name in a query string or urlencoded form whose name or value holds U+0000."""
    for name, value in parse_qsl(pairs, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return None


def nul_in_json(body: bytes) -> str | None:
    """Like `nul_field` for a JSON document; None when it is not JSON (the route will say)."""
    if b"\\u0000" not in body and b"\x00" not in body:
        return None  # the common case costs one scan
    try:
        return nul_field(json.loads(body))
    except ValueError:
        return None
