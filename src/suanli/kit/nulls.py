"""JSON schemas that say where null is refused (pure).

Update models declare every field optional (`X | None = None`: left out, it keeps its
value), and pydantic then documents each as nullable; where the service refuses an explicit
null, the schema must not offer it. `json_schema_extra=null_refused(...)` fixes that.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

NULL = {"type": "null"}


def null_refused(*, only: Container[str] | None = None, but: Container[str] = ()
                 ) -> Callable[[dict[str, Any]], None]:
    """A model's `json_schema_extra`: no null in the properties named in `only` (every
    property when None), except those in `but`."""

    def edit(schema: dict[str, Any]) -> None:
        for name, prop in schema.get("properties", {}).items():
            branches = prop.get("anyOf")
            refused = (only is None or name in only) and name not in but
            if not refused or not isinstance(branches, list) or NULL not in branches:
                continue
            rest = [b for b in branches if b != NULL]
            del prop["anyOf"]
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest
            if "default" in prop and prop["default"] is None:
                del prop["default"]

    return edit
