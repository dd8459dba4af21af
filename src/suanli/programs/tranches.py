"""Vouchers released in tranches (pure): a share at issue, the rest after milestones a
reviewer confirms.

A plan is a list of parts, the first released at issue:

    [{"share": "0.50", "milestone": "at issue"},
     {"share": "0.50", "milestone": "mid-term report accepted"}]

The shares must sum to exactly 1 (no money may be left unplanned); an empty plan releases
everything at issue. `split` turns a voucher's value into amounts that sum to it exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from suanli.kit.errors import ValidationFailed
from suanli.programs.rates import BP, RateError, format_rate, parse_rate
from suanli.programs.text import has_control

MAX_PARTS = 10
KEYS = frozenset({"share", "milestone"})


def check(raw: object) -> list[dict[str, Any]]:
    """The plan in canonical JSON, or ValidationFailed naming the field."""
    if not isinstance(raw, list):
        raise ValidationFailed("must be a list of parts", field="tranches")
    if len(raw) == 1 or len(raw) > MAX_PARTS:
        raise ValidationFailed(f"a plan has 2 to {MAX_PARTS} parts (none: all at issue)",
                               field="tranches")
    out, total = [], 0
    for index, part in enumerate(raw):
        path = f"tranches[{index}]"
        if not isinstance(part, Mapping):
            raise ValidationFailed("must be an object with share and milestone", field=path)
        for extra in sorted(set(part) - KEYS):
            raise ValidationFailed("unknown key; a part has share and milestone",
                                   field=f"{path}.{extra}")
        share = _share(part.get("share"), f"{path}.share")
        milestone = part.get("milestone")
        if not isinstance(milestone, str) or not milestone.strip() or len(milestone) > 200 \
                or has_control(milestone):
            raise ValidationFailed("say what releases this part (1 to 200 characters)",
                                   field=f"{path}.milestone")
        total += share
        out.append({"share": format_rate(share), "milestone": milestone.strip()})
    if out and total != BP:
        raise ValidationFailed(f"the shares sum to {format_rate(total)}, not 1: every part "
                               "of the voucher must be planned", field="tranches")
    return out


def _share(raw: object, path: str) -> int:
    if not isinstance(raw, str):
        raise ValidationFailed("must be a decimal string such as \"0.50\"", field=path)
    try:
        share = parse_rate(raw)
    except RateError as exc:
        raise ValidationFailed(str(exc), field=path) from exc
    if share == 0:
        raise ValidationFailed("must be more than 0", field=path)
    return share


def split(value_fen: int, plan: list[dict[str, Any]]) -> list[int]:
    """The value in the plan's parts: each rounded down, the last takes the remainder, so
    the parts sum to the value exactly. An empty plan: one part, the whole value."""
    if not plan:
        return [value_fen]
    parts = [value_fen * parse_rate(p["share"]) // BP for p in plan[:-1]]
    return [*parts, value_fen - sum(parts)]
