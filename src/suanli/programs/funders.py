"""Co-funded programs (pure): several funders share a program's money in fixed proportions.

A program's funders are a list, each with the budget account `program-funder:P:<n>` (n from
1) in the ledger:

    [{"name": "Henan Province", "label": "province", "share": "0.5"},
     {"name": "Zhengzhou City", "label": "city", "share": "0.5"}]

Shares are decimal fractions (at most 4 places) that sum to exactly 1. Every movement of a
co-funded program's money (funding, issuing a voucher, returns by expiry or clawback) is
split by `allocate`: integer fen, largest remainder, so the parts sum to the whole exactly
and each part lies within 1 fen of its exact share. No funders: the program's single budget
account `program-budget:P`, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from suanli.kit.errors import ValidationFailed
from suanli.programs.rates import BP, RateError, format_rate, parse_rate
from suanli.programs.text import has_control

MAX_FUNDERS = 10
KEYS = frozenset({"name", "label", "share", "source"})


def account(program_id: int, index: int) -> str:
    """The ledger account of the program's funder at `index` (0-based in the list)."""
    return f"program-funder:{program_id}:{index + 1}"


def shares_bp(funders: Sequence[Mapping[str, Any]]) -> list[int]:
    return [parse_rate(f["share"]) for f in funders]


def check(raw: object) -> list[dict[str, Any]]:
    """The funders in canonical JSON, or ValidationFailed naming the field."""
    if not isinstance(raw, list):
        raise ValidationFailed("must be a list of funders", field="funders")
    if len(raw) == 1 or len(raw) > MAX_FUNDERS:
        raise ValidationFailed(f"a co-funded program has 2 to {MAX_FUNDERS} funders "
                               "(none: one budget)", field="funders")
    out, total = [], 0
    for index, funder in enumerate(raw):
        path = f"funders[{index}]"
        if not isinstance(funder, Mapping):
            raise ValidationFailed("must be an object with name, label?, share, source?",
                                   field=path)
        for extra in sorted(set(funder) - KEYS):
            raise ValidationFailed("unknown key; a funder has name, label, share and source",
                                   field=f"{path}.{extra}")
        share = _share(funder.get("share"), f"{path}.share")
        item = {"name": _text(funder.get("name"), f"{path}.name", required=True),
                "label": _text(funder.get("label"), f"{path}.label", required=False),
                "share": format_rate(share)}
        source = _text(funder.get("source"), f"{path}.source", required=False, limit=500)
        out.append({**item, "source": source} if source else item)
        total += share
    if out and total != BP:
        raise ValidationFailed(f"the shares sum to {format_rate(total)}, not 1: every fen "
                               "must have a funder", field="funders")
    return out


def _text(raw: object, path: str, *, required: bool, limit: int = 200) -> str:
    if raw is None and not required:
        return ""
    if not isinstance(raw, str) or (required and not raw.strip()) or len(raw) > limit \
            or has_control(raw):
        raise ValidationFailed(f"must be text of 1 to {limit} characters" if required
                               else f"must be text of at most {limit} characters", field=path)
    return raw.strip()


def _share(raw: object, path: str) -> int:
    if not isinstance(raw, str):
        raise ValidationFailed("must be a decimal string such as \"0.5\"", field=path)
    try:
        share = parse_rate(raw)
    except RateError as exc:
        raise ValidationFailed(str(exc), field=path) from exc
    if not 0 < share <= BP:
        raise ValidationFailed("must be more than 0 and at most 1", field=path)
    return share


def allocate(total: int, shares: Sequence[int]) -> list[int]:
    """`total` fen split by `shares` (basis points summing to 10000): each part rounded
    down, the fen left over going one each to the largest remainders (ties: the earlier
    funder). The parts sum to `total`; each is within 1 fen of its exact share."""
    if total < 0:
        return [-p for p in allocate(-total, shares)]
    whole = sum(shares)
    floors = [total * s // whole for s in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(total * shares[i] % whole), i))
    for i in order[:total - sum(floors)]:
        floors[i] += 1
    return floors


def allocate_within(total: int, shares: Sequence[int], caps: Sequence[int]) -> list[int]:
    """Like `allocate`, but no part above its cap (what each funder put into a voucher, when
    a remainder goes back): a part cut to its cap passes the excess to funders with room,
    in order. Whatever exceeds all the caps together is split by share, so the parts always
    sum to `total`."""
    parts = [min(p, c) for p, c in zip(allocate(total, shares), caps, strict=True)]
    left = total - sum(parts)
    for i, cap in enumerate(caps):
        extra = max(0, min(left, cap - parts[i]))
        parts[i] += extra
        left -= extra
    return [p + q for p, q in zip(parts, allocate(left, shares), strict=True)]
