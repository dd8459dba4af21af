"""Instant buy: take an offer now at its ask, first come first served, with the same holds
as a cleared contract. The offer's row is locked (PostgreSQL) or the write transaction
is the only one (SQLite) while its free capacity is re-read, so buys never over-sell."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict, InsufficientFunds, ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.timeutil import utcnow
from suanli.market import offers_service, vouchers_port
from suanli.market.capacity import HOUR, next_whole_hour
from suanli.market.contracts import Match, reimbursed, write_contract
from suanli.market.matching import ZERO, split_cost, subsidy_rate
from suanli.market.models import Contract, ContractSource, Offer, OfferStatus
from suanli.market.orders_service import acting_buyer
from suanli.market.schemas import InstantBuy
from suanli.programs import credit
from suanli.providers.models import ClusterStatus
from suanli.vouchers.models import Voucher


def _window(data: InstantBuy, offer: Offer, now: datetime) -> tuple[datetime, datetime]:
    start = data.start_at or next_whole_hour(max(now, offer.start_at))
    if start != next_whole_hour(start):
        raise ValidationFailed("must be a whole hour", field="start_at")
    if start < now:
        raise ValidationFailed("must not be in the past", field="start_at")
    end = start + HOUR * data.hours
    if start < offer.start_at or end > offer.end_at:
        raise ValidationFailed("the run must lie inside the offer's window "
                               f"{offer.start_at.isoformat()} - {offer.end_at.isoformat()}",
                               field="hours" if start >= offer.start_at else "start_at")
    if data.hours < offer.min_lease_hours:
        raise ValidationFailed(f"the offer's minimum lease is {offer.min_lease_hours} hours",
                               field="hours")
    return start, end


def _check_live(offer: Offer) -> None:
    if offer.status != OfferStatus.LIVE:
        raise Conflict("the offer has been withdrawn", field="offer_id")
    if offer.cluster.status != ClusterStatus.LISTABLE:
        raise Conflict("the offer's cluster is not listable now", field="offer_id")


def _rate(voucher: Voucher | None, offer: Offer) -> Decimal:
    if voucher is None:
        return ZERO
    operator = str(offer.cluster.data_centre.operator_type)
    terms = vouchers_port.terms(voucher, [(offer.organisation.slug, operator)])
    rate = subsidy_rate(terms, provider=offer.organisation.slug, operator=operator,
                        domestic=bool(offer.cluster.accelerator.domestic))
    return rate


def _voucher_share(session: Session, voucher: Voucher, subsidy: int) -> int:
    """The subsidy the voucher can pay: all of it, or where its program allows partial
    vouchers, what it has left (the buyer paying the rest); else a 409."""
    left = vouchers_port.available_fen(session, voucher)
    if subsidy <= left:
        return subsidy
    if left > 0 and vouchers_port.partial_allowed(session, voucher):
        return left
    raise Conflict(f"voucher {voucher.id} has less left ({format_cny(left)} CNY) than the "
                   f"{format_cny(subsidy)} CNY subsidy and its program does not use part of a "
                   "voucher", field="voucher_id")


def instant_buy(session: Session, *, data: InstantBuy, org_ids: Collection[int],
                now: datetime | None = None) -> Contract:
    """A reserved contract on the offer at its ask, if the GPUs are free for the whole run.

    409 when capacity, the voucher's balance or the buyer's cash falls short; 422 for a
    run outside the offer's window or shorter than its minimum lease.
    """
    now = now or utcnow()
    buyer = acting_buyer(session, org_ids, data.organisation)
    credit.check_standing(session, buyer.id, now=now)
    offer = offers_service.get_offer(session, data.offer_id, None, lock=True)
    _check_live(offer)
    start, end = _window(data, offer, now)
    voucher = None if data.voucher_id is None else vouchers_port.held_voucher(
        session, data.voucher_id, org_ids={buyer.id}, now=now)
    if voucher is not None:
        vouchers_port.check_contract(voucher, hours=data.hours, now=now, hours_field="hours")
    grid = offers_service.Grid(start, data.hours)
    free = min(offers_service.profiles(session, [offer], grid)[offer.id])
    if free < data.gpus:
        raise Conflict(f"only {free} GPUs of this offer are free for the whole run",
                       field="gpus")
    rate = _rate(voucher, offer)
    gpu_hours = data.gpus * data.hours
    cost, subsidy, pays = split_cost(offer.ask_fen, gpu_hours, rate)
    if voucher is not None:
        subsidy = _voucher_share(session, voucher, subsidy)
        pays = cost - subsidy
    match = Match(ContractSource.INSTANT, offer, buyer, data.gpus, start, end, gpu_hours,
                  offer.ask_fen, rate, cost, subsidy, pays, voucher)
    try:
        return write_contract(session, match)
    except InsufficientFunds as exc:
        if voucher is not None and exc.extra.get("account") == voucher.account_code:
            # a concurrent buy spent the voucher between the check above and the hold
            raise InsufficientFunds(f"voucher {voucher.id} has less left than the "
                                    f"{format_cny(subsidy)} CNY subsidy",
                                    field="voucher_id") from exc
        if exc.field == credit.LIMIT_FIELD:
            raise  # the buyer's share held against its credit line, over the limit
        # A buyer-reimbursed program's buyer holds the whole cost, reimbursed afterwards.
        held = cost if subsidy and reimbursed(session, voucher) else pays
        raise InsufficientFunds(f"your cash does not cover your {format_cny(held)} CNY share; "
                                "ask the platform to record a deposit", field="cash") from exc
