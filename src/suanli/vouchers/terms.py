"""A voucher's terms in the shape of the clearing snapshot (shared/spec/clearing.md) (pure).

    {"id": "v-7", "holder": "acme-ai", "balance_cny": "1000000.00",
     "rate": {"state": "0.50", "commercial": "0.30"}, "domestic_bonus": "0.10",
     "max_rate": "0.60", "providers": null}
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Protocol

from suanli.kit.money import format_cny
from suanli.programs.enums import ProviderMode
from suanli.programs.rates import HasRateFields, format_rate


class Terms(HasRateFields, Protocol):
    """What `voucher_terms` reads (a Voucher row has it)."""

    @property
    def id(self) -> int: ...
    @property
    def provider_mode(self) -> str: ...
    @property
    def provider_slugs(self) -> list[str]: ...
    @property
    def excluded_providers(self) -> list[str]: ...


def snapshot_id(voucher_id: int) -> str:
    return f"v-{voucher_id}"


def voucher_terms(voucher: Terms, *, holder: str | None = None, balance_fen: int | None = None,
                  state_provider_slugs: Collection[str] | None = None,
                  offer_provider_slugs: Collection[str] | None = None) -> dict[str, Any]:
    """The voucher as clearing reads it. `providers` is None when every provider is allowed,
    else the sorted slugs; a state-only voucher needs `state_provider_slugs` (the providers
    whose data centres are state-run) and raises ValueError without them. A voucher that
    excludes providers (the holder's affiliates) lists the others: for an any-provider
    voucher that needs `offer_provider_slugs` (every provider of the offers at hand)."""
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
    excluded = set(voucher.excluded_providers or [])
    if excluded and providers is None:
        if offer_provider_slugs is None:
            raise ValueError("a voucher that excludes providers needs the offers' providers")
        providers = sorted(set(offer_provider_slugs))
    if excluded and providers is not None:
        providers = [p for p in providers if p not in excluded]
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


class ContractTerms(Protocol):
    """What `contract_problem` reads (a Voucher row has it)."""

    @property
    def max_contract_days(self) -> int | None: ...
    @property
    def contracts_signed_from(self) -> datetime | None: ...
    @property
    def unit(self) -> str: ...


def contract_problem(voucher: ContractTerms, *, hours: int, signed_at: datetime
                     ) -> tuple[str, str] | None:
    """Why the voucher may not pay for a contract of `hours` signed at `signed_at`, as
    (which: "unit", "term" or "signed"; the sentence), or None when it may."""
    if (voucher.unit or "gpu_hours") != "gpu_hours":
        return "unit", ("a model voucher pays for model-service tokens, not GPU-hours on the "
                        "market")
    days = voucher.max_contract_days
    if days is not None and hours > days * 24:
        return "term", (f"the program pays only for contracts of at most {days} days "
                        f"({days * 24} hours), not {hours} hours")
    start = voucher.contracts_signed_from
    if start is not None and signed_at < start:
        return "signed", (f"the program pays only for contracts signed on or after "
                          f"{start.date().isoformat()}")
    return None
