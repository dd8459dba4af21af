"""The shadow price of capacity per accelerator model, where the solver gives one.

The clearing engine may offer ``capacity_shadow_prices(snapshot)``: CNY per GPU-hour,
keyed by snapshot offer (or by model), a number or a series per slot. This folds
whatever it gives into one figure per model: the highest price of any of its offers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from suanli.market import clearing
from suanli.market.snapshots import Built

log = logging.getLogger("suanli.market.shadow")
CENT = Decimal("0.01")


def _figure(value: Any) -> Decimal | None:
    """One price from a number, a decimal string, or the highest of a series."""
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        found = [f for f in (_figure(v) for v in value) if f is not None]
        return max(found, default=None)
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def by_model(raw: Mapping[str, Any], built: Built) -> dict[str, str]:
    """Per model, the highest shadow price among its keys (offers or models)."""
    best: dict[str, Decimal] = {}
    for key, value in raw.items():
        offer = built.offers.get(str(key))
        model = offer.accelerator_model if offer else str(key).split("~", 1)[0]
        price = _figure(value)
        if price is not None and price > best.get(model, Decimal(-1)):
            best[model] = price
    return {m: str(p.quantize(CENT, rounding=ROUND_HALF_EVEN)) for m, p in sorted(best.items())}


def prices(built: Built) -> dict[str, str] | None:
    """The round's shadow prices per model, or None when the engine gives none."""
    engine = getattr(clearing, "capacity_shadow_prices", None)
    if engine is None or not built.snapshot.get("offers"):
        return None
    try:
        raw = engine(built.snapshot)
    except Exception:  # an optional figure must not fail the round
        log.exception("shadow prices failed")
        return None
    return by_model(raw, built) if isinstance(raw, Mapping) else None
