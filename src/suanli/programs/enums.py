"""The statuses and modes of a program (pure)."""

from __future__ import annotations

from enum import StrEnum


class ProgramStatus(StrEnum):
    DRAFT = "draft"  # being prepared; only its authority sees it
    PUBLISHED = "published"  # startups see it and may apply inside the window
    CLOSED = "closed"  # no new applications; issued vouchers run on


class ProviderMode(StrEnum):
    ALL = "all"  # any provider on the platform
    STATE_ONLY = "state_only"  # state-run data centres only
    LIST = "list"  # the providers named in `provider_slugs`


class VoucherUnit(StrEnum):
    """What a program's vouchers pay for."""

    GPU_HOURS = "gpu_hours"  # compute contracts on the market
    TOKENS = "tokens"  # model services priced per million tokens (model vouchers)


class RedemptionMode(StrEnum):
    PROVIDER_CLAIMS = "provider_claims"  # the provider claims the voucher share
    BUYER_REIMBURSED = "buyer_reimbursed"  # the buyer pays in full, the city reimburses
    # Qingyang: the subsidy goes to the supplier first, who bills the buyer net; the buyer
    # has no claim of its own ("both cannot claim"). Money moves as in provider_claims.
    SUPPLIER_FIRST = "supplier_first"


def buyer_pays_all(mode: str) -> bool:
    """Whether the buyer pays the whole charge and claims the subsidy afterwards."""
    return RedemptionMode(mode) is RedemptionMode.BUYER_REIMBURSED


def provider_paid(mode: str) -> bool:
    """Whether the subsidy is the provider's: it claims it, the buyer pays net."""
    return not buyer_pays_all(mode)
