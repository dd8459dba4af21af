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
