"""A voucher's terms in the shape of the clearing snapshot (shared/spec/clearing.md) (pure).

    {"id": "v-7", "holder": "acme-ai", "balance_cny": "1000000.00",
     "rate": {"state": "0.50", "commercial": "0.30"}, "domestic_bonus": "0.10",
     "max_rate": "0.60", "providers": null}
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from suanli.kit.money import format_cny
from suanli.programs.enums import ProviderMode
from suanli.programs.rates import format_rate


class Terms(Protocol):
    """What `voucher_terms` reads (a Voucher row has it)."""

    @property
    def id(self) -> int: ...
    @property
    def rate_state_bp(self) -> int: ...
    @property
    def rate_commercial_bp(self) -> int: ...
    @property
    def domestic_bonus_bp(self) -> int: ...
    @property
    def max_rate_bp(self) -> int: ...
    @property
    def provider_mode(self) -> str: ...
    @property
    def provider_slugs(self) -> list[str]: ...


def snapshot_id(voucher_id: int) -> str:
    return f"v-{voucher_id}"


def voucher_terms(voucher: Terms, *, holder: str | None = None, balance_fen: int | None = None,
                  state_provider_slugs: Collection[str] | None = None) -> dict[str, Any]:
    """The voucher as clearing reads it. `providers` is None when every provider is allowed,
    else the sorted slugs; a state-only voucher needs `state_provider_slugs` (the providers
    whose data centres are state-run) and raises ValueError without them."""
    mode = ProviderMode(voucher.provider_mode)
    providers: list[str] | None
    if mode is ProviderMode.ALL:
        providers = None
    elif mode is ProviderMode.LIST:
        providers = sorted(set(voucher.provider_slugs))
    elif state_provider_slugs is None:
        raise ValueError("a state-only voucher needs the slugs of the state-run providers")
    else:
        providers = sorted(set(state_provider_slugs))
    terms: dict[str, Any] = {
        "id": snapshot_id(voucher.id),
        "rate": {"state": format_rate(voucher.rate_state_bp),
                 "commercial": format_rate(voucher.rate_commercial_bp)},
        "domestic_bonus": format_rate(voucher.domestic_bonus_bp),
        "max_rate": format_rate(voucher.max_rate_bp),
        "providers": providers,
    }
    if holder is not None:
        terms["holder"] = holder
    if balance_fen is not None:
        terms["balance_cny"] = format_cny(balance_fen)
    return terms
