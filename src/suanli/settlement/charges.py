"""The money of settlement, and the chain of holds it walks (pure).

**Charge.** GPU-seconds x price (fen per GPU-hour) / 3600, rounded half-even to the fen, in
exact integers.

**Shares.** Where the provider claims the subsidy (`provider_claims`), the voucher pays its
rate of the charge, rounded half-even, up to what its hold still reserves, and the buyer pays
the rest up to what the buyer's hold reserves. Where the city reimburses buyers after they
have paid (`buyer_reimbursed`, as Beijing does), the buyer pays the whole charge (up to its
hold, then from its cash) and the voucher's share, capped by the voucher hold and by what
the buyer paid, becomes the buyer's claim. Anything left is `uncovered`: shown on the
invoice, never moved by the platform.

**The chain of holds.** A hold resolves once (TigerBeetle's rule), yet a contract settles
every day. So each side (voucher, buyer) of a contract is a chain: the contract's own hold is
the first link; a settlement posts the day's amount from the current link, which releases
the rest, and in the same linked batch re-holds what the contract still needs under a new,
deterministic id (`contract:<id>:voucher:<day>-hold`). Nothing is ever available to
anyone else between the two, and replaying the batch replays the same ids. At contract end
nothing is re-held (or, for claims still awaiting a decision, just their amounts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from suanli.kit.money import round_fen
from suanli.kit.timeutil import SHANGHAI, as_utc
from suanli.ledger.posting import TransferSpec

SECONDS_PER_HOUR = 3600


def charge_fen(gpu_seconds: int, fen_per_gpu_hour: int) -> int:
    """GPU-seconds at a price per GPU-hour, rounded half-even to the fen (exact)."""
    if gpu_seconds < 0 or fen_per_gpu_hour < 0:
        raise ValueError("GPU-seconds and price must not be negative")
    whole, rest = divmod(gpu_seconds * fen_per_gpu_hour, SECONDS_PER_HOUR)
    if 2 * rest > SECONDS_PER_HOUR or (2 * rest == SECONDS_PER_HOUR and whole % 2):
        whole += 1
    return whole


@dataclass(frozen=True)
class Shares:
    """Who pays what of one charge, in fen."""

    charge: int
    voucher: int  # the subsidy: posted from the voucher, or reimbursed to the buyer
    buyer: int  # what the buyer pays: from its hold, plus `direct`
    uncovered: int
    direct: int = 0  # paid from the buyer's cash beyond its hold (buyer-reimbursed programs)

    @property
    def from_hold(self) -> int:
        return self.buyer - self.direct


def split(charge: int, *, rate: Decimal, voucher_room: int, buyer_room: int,
          buyer_pays_all: bool = False, cash_room: int = 0, subsidy: int | None = None
          ) -> Shares:
    """The voucher's and the buyer's shares of a charge, each capped by what covers it.

    The subsidy is the rate of the charge, or `subsidy` where the caller worked it out from
    running totals (`running`). Where the buyer pays all (and is reimbursed later), what its
    hold does not cover is paid from its cash directly, up to `cash_room`; the subsidy never
    exceeds what it paid.
    """
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError("the subsidy rate must be within 0..1")
    wanted = round_fen(Decimal(charge) * rate) if subsidy is None else min(subsidy, charge)
    subsidy = min(max(wanted, 0), max(voucher_room, 0))
    if buyer_pays_all:
        held = min(charge, max(buyer_room, 0))
        direct = min(charge - held, max(cash_room, 0))
        paid = held + direct
        return Shares(charge, min(subsidy, paid), paid, charge - paid, direct)
    buyer = min(charge - subsidy, max(buyer_room, 0))
    return Shares(charge, subsidy, buyer, charge - subsidy - buyer)


@dataclass(frozen=True)
class Billed:
    """What a contract's settlements billed so far: GPU-seconds, charge and subsidy (fen)."""

    gpu_seconds: int = 0
    charge: int = 0
    subsidy: int = 0


def running(total_gpu_seconds: int, fen_per_gpu_hour: int, rate: Decimal, billed: Billed
            ) -> tuple[int, int]:
    """(this settlement's charge, the subsidy it is due), allocated from running totals.

    The running total is priced and rounded, and a day bills what it adds to what the days
    before billed; so the days of a contract delivered exactly add up to exactly its price
    (rounding each day alone could bill a fen more per day). The subsidy likewise: the rate
    of the running charge, rounded, less what earlier days were granted, never more than
    the day's charge.
    """
    charge = max(0, charge_fen(total_gpu_seconds, fen_per_gpu_hour) - billed.charge)
    return charge, subsidy_due(charge, rate, billed)


def subsidy_due(charge: int, rate: Decimal, billed: Billed) -> int:
    """The subsidy of a charge added to the running total (see `running`)."""
    return subsidy_of(billed.charge + charge, rate, billed, charge)


def subsidy_of(subsidised_total: int, rate: Decimal, billed: Billed, charge: int) -> int:
    """What a settlement billing `charge` is granted when `subsidised_total` of everything
    billed so far and now may be subsidised: its rate, rounded, less what earlier
    settlements were granted, within 0..charge."""
    due = round_fen(Decimal(subsidised_total) * rate) - billed.subsidy
    return max(0, min(due, charge))


def portion_until(billable: int, start: datetime, end: datetime, until: datetime) -> int:
    """The GPU-seconds of a record that lie before `until`, by time (floored): a job that
    runs over midnight is billed on each day for the time inside that day."""
    if end <= until:
        return billable
    if start >= until:
        return 0
    whole = int((end - start).total_seconds())
    inside = int((until - start).total_seconds())
    return billable * inside // whole if whole > 0 else 0


@dataclass(frozen=True)
class Plan:
    """How one settlement moves a contract's two chains of holds (fen).

    `voucher_post`/`voucher_keep` and `buyer_post`/`buyer_keep`: posted from and kept held
    on each chain; `earmarked`: of the voucher chain, what claims awaiting a decision will
    take (buyer-reimbursed programs); `payout`: passed to the provider now.
    """

    shares: Shares
    voucher_post: int
    voucher_keep: int
    earmarked: int
    buyer_post: int
    buyer_keep: int

    @property
    def payout(self) -> int:
        return self.shares.buyer


def plan(shares: Shares, *, reimbursed: bool, voucher_remaining: int, earmarked: int,
         buyer_remaining: int, final: bool) -> Plan:
    """The moves of one settlement given its shares.

    `provider_claims`: the voucher's share is posted to the provider now (paid out when the
    claim is approved). `buyer_reimbursed`: the buyer paid all of the charge; the voucher
    posts nothing now and keeps the subsidy reserved for the buyer's claim (at the end only
    that). Either way the buyer's chain posts what its hold paid; at the end it keeps
    nothing.
    """
    if reimbursed:
        marked = earmarked + shares.voucher
        v_post, v_keep = 0, (marked if final else voucher_remaining)
    else:
        marked = earmarked
        v_post = shares.voucher
        v_keep = 0 if final else voucher_remaining - shares.voucher
    b_keep = 0 if final else buyer_remaining - shares.from_hold
    return Plan(shares, v_post, v_keep, marked, shares.from_hold, b_keep)


@dataclass(frozen=True)
class Link:
    """The current link of a chain of holds: its transfer id and what it still reserves."""

    hold_id: str
    debit: str
    credit: str
    remaining: int
    expires_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.remaining > 0


@dataclass(frozen=True)
class Step:
    specs: tuple[TransferSpec, ...]
    link: Link


def advance(link: Link, *, amount: int, keep: int, ids: tuple[str, str, str], reason: str,
            ref: str | None = None) -> Step:
    """Post `amount` from the current link and keep `keep` held; `ids` = (post, void, hold).

    Posting releases the rest of the hold, so what must stay reserved is held again, in
    the same linked batch, under the new id. Nothing to post and nothing to release is no
    step at all.
    """
    if amount < 0 or keep < 0 or amount + keep > link.remaining:
        raise ValueError(f"cannot post {amount} and keep {keep} of {link.remaining} fen")
    if amount == 0 and keep == link.remaining:
        return Step((), link)
    post_id, void_id, hold_id = ids
    first = (TransferSpec.post(id=post_id, pending_id=link.hold_id, amount=amount,
                               reason=reason, ref=ref) if amount
             else TransferSpec.void(id=void_id, pending_id=link.hold_id, reason=reason, ref=ref))
    if keep == 0:
        return Step((first,), replace(link, remaining=0))
    again = TransferSpec.hold(id=hold_id, debit=link.debit, credit=link.credit, amount=keep,
                              reason=reason, ref=ref, expires_at=link.expires_at)
    return Step((first, again), replace(link, hold_id=hold_id, remaining=keep))


def period_bounds(day: date) -> tuple[datetime, datetime]:
    """A settlement day in Asia/Shanghai, as UTC instants [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    return as_utc(start), as_utc(start + timedelta(days=1))


def period_of(instant: datetime) -> date:
    """The Shanghai day an instant belongs to (an instant at midnight opens the day)."""
    return as_utc(instant).astimezone(SHANGHAI).date()
