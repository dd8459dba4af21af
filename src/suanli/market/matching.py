"""Which offers could serve an order, at what price after the voucher, and why not (pure).

The rules are those of a clearing match (``shared/spec/clearing.md``, rules 1-5), applied
to one draft order against the offers as they stand, for the preview a buyer sees
before placing an order and for the effective price in offer search.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any

from suanli.market.capacity import first_fit

ZERO = Decimal(0)
ONE = Decimal(1)


class Reason(StrEnum):
    """Why an offer cannot serve an order (the first rule it fails)."""

    NO_SUCH_ACCELERATOR = "no_such_accelerator"
    LATENCY = "latency"
    MIN_LEASE = "min_lease"
    NO_CAPACITY = "no_capacity"
    VOUCHER_NOT_ACCEPTED = "voucher_not_accepted"
    OVER_LIMIT = "over_limit"


@dataclass(frozen=True)
class Terms:
    """A voucher's subsidy terms, as in a clearing snapshot's voucher."""

    rate: Mapping[str, Decimal]
    domestic_bonus: Decimal
    max_rate: Decimal
    providers: frozenset[str] | None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Terms:
        providers = doc.get("providers")
        return cls(rate={str(k): Decimal(str(v)) for k, v in dict(doc["rate"]).items()},
                   domestic_bonus=Decimal(str(doc.get("domestic_bonus") or "0")),
                   max_rate=Decimal(str(doc.get("max_rate") or "1")),
                   providers=None if providers is None else frozenset(map(str, providers)))

    def accepts(self, provider: str) -> bool:
        return self.providers is None or provider in self.providers

    def nominal_rate(self, operator: str, domestic: bool) -> Decimal:
        """The rate where the voucher is accepted (rule 4 without the provider test)."""
        rate = self.rate.get(operator, ZERO) + (self.domestic_bonus if domestic else ZERO)
        return min(self.max_rate, rate)


def subsidy_rate(terms: Terms | None, *, provider: str, operator: str, domestic: bool
                 ) -> Decimal:
    """Rule 4: the voucher's rate for this provider and accelerator, 0 where not accepted."""
    if terms is None or not terms.accepts(provider):
        return ZERO
    return terms.nominal_rate(operator, domestic)


def effective_fen(ask_fen: int, rate: Decimal) -> int:
    """What the buyer pays per GPU-hour after the subsidy, rounded half-even to the fen."""
    return int((Decimal(ask_fen) * (ONE - rate)).quantize(ONE, rounding=ROUND_HALF_EVEN))


def within_limit(ask_fen: int, rate: Decimal, limit_fen: int) -> bool:
    """Rule 5, exactly: ``(1 - r) * ask <= limit``."""
    return Decimal(ask_fen) * (ONE - rate) <= Decimal(limit_fen)


@dataclass(frozen=True)
class OfferFacts:
    """An offer as the preview sees it; ``free`` is free GPUs per hour of the draft's grid."""

    id: int
    provider: str
    location: str
    operator: str
    accelerator: str
    domestic: bool
    ask_fen: int
    min_lease_hours: int
    free: tuple[int, ...]


@dataclass(frozen=True)
class Draft:
    """An order not yet placed, on an hourly grid that starts at its earliest start."""

    accelerators: frozenset[str]
    gpus: int
    hours: int
    latest_end: int  # hours after the earliest start
    limit_fen: int
    max_latency_ms: int | None
    terms: Terms | None


@dataclass(frozen=True)
class Verdict:
    """One offer judged for a draft: ``reason`` None means it could serve the order."""

    offer: OfferFacts
    reason: Reason | None
    rate: Decimal
    effective_fen: int
    start: int | None = None  # the earliest hour (on the draft's grid) it fits
    voucher_refused: bool = False  # it serves, but the voucher is not accepted there


def judge(draft: Draft, offer: OfferFacts, latency_ms: int | None) -> Verdict:
    """Apply rules 1-5 in order; the verdict names the first rule the offer fails."""
    rate = subsidy_rate(draft.terms, provider=offer.provider, operator=offer.operator,
                        domestic=offer.domestic)
    price = effective_fen(offer.ask_fen, rate)

    def no(reason: Reason) -> Verdict:
        return Verdict(offer, reason, rate, price)

    if offer.accelerator not in draft.accelerators:
        return no(Reason.NO_SUCH_ACCELERATOR)
    if draft.max_latency_ms is not None and (latency_ms is None
                                             or latency_ms > draft.max_latency_ms):
        return no(Reason.LATENCY)
    if draft.hours < offer.min_lease_hours:
        return no(Reason.MIN_LEASE)
    start = first_fit(offer.free, draft.gpus, draft.hours, 0, draft.latest_end)
    if start is None:
        return no(Reason.NO_CAPACITY)
    refused = draft.terms is not None and not draft.terms.accepts(offer.provider)
    if not within_limit(offer.ask_fen, rate, draft.limit_fen):
        if refused and draft.terms is not None and within_limit(
                offer.ask_fen, draft.terms.nominal_rate(offer.operator, offer.domestic),
                draft.limit_fen):
            return no(Reason.VOUCHER_NOT_ACCEPTED)
        return no(Reason.OVER_LIMIT)
    return Verdict(offer, None, rate, price, start, voucher_refused=refused)


def why_not(verdicts: Iterable[Verdict]) -> list[tuple[Reason, int]]:
    """Reasons with the number of offers each rules out, most common first.

    Offers of other accelerators are not counted unless no offer has an acceptable one.
    """
    items = list(verdicts)
    relevant = [v for v in items if v.reason is not Reason.NO_SUCH_ACCELERATOR]
    if not relevant:
        return [(Reason.NO_SUCH_ACCELERATOR, len(items))]
    counts = Counter(v.reason for v in relevant if v.reason is not None)
    order = list(Reason)
    return sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))


def rate_text(rate: Decimal) -> str:
    """A rate as a decimal string with at least two places: 0.6 -> "0.60"."""
    text = format(rate.normalize(), "f")
    whole, _, places = text.partition(".")
    return f"{whole}.{places.ljust(2, '0')}"


def split_cost(ask_fen: int, gpu_hours: int, rate: Decimal) -> tuple[int, int, int]:
    """(cost, subsidy, buyer pays) of a match in fen, rounded half-even as clearing does."""
    cost = ask_fen * gpu_hours
    subsidy = int((rate * cost).quantize(ONE, rounding=ROUND_HALF_EVEN))
    return cost, subsidy, cost - subsidy


def hold_amounts(cost_fen: int, subsidy_fen: int, *, buyer_pays_all: bool) -> tuple[int, int]:
    """(voucher hold, buyer hold) a contract places, in fen.

    Where the provider claims the subsidy, each payer holds its own share. Where the city
    reimburses the buyer afterwards (`buyer_reimbursed`, Beijing), the buyer pays the
    provider the whole cost, so its hold is the whole cost; the voucher holds the subsidy
    for the buyer's claims.
    """
    return subsidy_fen, cost_fen if buyer_pays_all else cost_fen - subsidy_fen
