"""Clearing rounds in the service: lock, snapshot, clear, write contracts, in one transaction.

Only one round runs at a time: on PostgreSQL the transaction takes an advisory lock
(``pg_try_advisory_xact_lock``; a second round finds it taken and does not run); on
SQLite the round's write transaction (BEGIN IMMEDIATE) excludes every other writer.
The snapshot and the result are stored with the round, so that anyone may re-clear the
snapshot and compare (``rerun``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.kit.errors import AppError, Conflict, NotFound
from suanli.kit.money import parse_cny
from suanli.kit.timeutil import utcnow
from suanli.market import clearing, contracts, repository, shadow
from suanli.market.capacity import HOUR, next_whole_hour, slot_start
from suanli.market.contracts import Match
from suanli.market.models import ContractSource, Order, OrderStatus, Round, RoundStatus
from suanli.market.offers_service import Grid, profiles
from suanli.market.orders_service import expire_orders
from suanli.market.snapshots import Built, Horizon, build
from suanli.vouchers.models import Voucher

log = logging.getLogger("suanli.market.rounds")
LOCK_KEY = 0x5375_616E_6C69  # "Suanli": the advisory lock of clearing rounds


def try_lock(session: Session) -> bool:
    """Take the round lock for this transaction; False when another round holds it."""
    if session.get_bind().dialect.name == "postgresql":
        return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"),
                                    {"key": LOCK_KEY}).scalar_one())
    session.execute(text("SELECT 1"))  # begins the write transaction: BEGIN IMMEDIATE
    return True


@dataclass(frozen=True)
class Options:
    start: datetime | None = None  # default: the next whole hour
    slots: int = 168
    slot_hours: int = 1
    time_limit_s: float = 30.0
    trigger: str = "cli"
    user_id: int | None = None
    # Skip when another round started after this moment (a scheduler's tick).
    unless_started_after: datetime | None = None


def housekeeping(session: Session, now: datetime) -> tuple[int, int]:
    """Contracts whose start or end passed move on; orders whose window closed expire."""
    return contracts.advance_contracts(session, now=now), expire_orders(session, now=now)


def run_round(session: Session, *, options: Options, now: datetime | None = None
              ) -> Round | None:
    """Run one round now, or return None when another round holds the lock (or ran
    since ``options.unless_started_after``)."""
    if not try_lock(session):
        return None
    latest = repository.latest_round_start(session)
    if options.unless_started_after and latest and latest > options.unless_started_after:
        return None
    now = now or utcnow()
    housekeeping(session, now)
    h = Horizon(options.start or next_whole_hour(now), options.slots, options.slot_hours)
    rnd = Round(status=RoundStatus.RUNNING, trigger=options.trigger, started_at=utcnow(),
                started_by_user_id=options.user_id, horizon_start=h.start,
                slot_hours=h.slot_hours, slots=h.slots,
                time_limit_s=Decimal(str(options.time_limit_s)))
    repository.add(session, rnd)
    built = build(session, round_id=f"round-{rnd.id}", horizon=h, now=now, lock=True)
    rnd.snapshot, rnd.left_out = built.snapshot, built.left_out
    try:
        rnd.result = clearing.clear(built.snapshot, time_limit=options.time_limit_s)
    except Exception as exc:  # a bad snapshot is our bug: keep it for inspection
        log.exception("clearing failed")
        return _finish(session, rnd, RoundStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    rnd.shadow_prices = shadow.prices(built)
    rnd.contracts_written = _write(session, rnd, built, h)
    _note_unmatched(session, rnd, built)
    return _finish(session, rnd, RoundStatus.COMPLETED)


def _finish(session: Session, rnd: Round, status: RoundStatus, error: str | None = None
            ) -> Round:
    rnd.status, rnd.error, rnd.finished_at = status, error, utcnow()
    session.flush()
    audit.record(session, action="round.run", object_type="round", object_id=rnd.id,
                 after={"status": str(status), "trigger": rnd.trigger,
                        "horizon_start": rnd.horizon_start.isoformat(),
                        "contracts": rnd.contracts_written, "error": error})
    return rnd


def _write(session: Session, rnd: Round, built: Built, h: Horizon) -> int:
    """Contracts for the result's assignments; an assignment the offer can no longer
    hold or a payer can no longer cover is skipped and its order stays open."""
    assert rnd.result is not None
    durations = {o["id"]: o["duration_slots"] for o in built.snapshot["orders"]}
    written = 0
    for a in rnd.result.get("assignments", []):
        order, offer = built.orders[a["order"]], built.offers[a["offer"]]
        start = slot_start(a["start_slot"], h.start, h.slot_hours)
        hours = durations[a["order"]] * h.slot_hours
        free = min(profiles(session, [offer], Grid(start, hours))[offer.id])
        if free < a["gpus"]:
            order.status_reason = f"round {rnd.id}: the offer no longer had the capacity"
            _unmatched(session, order, rnd, "the offer no longer had the capacity")
            continue
        match = Match(ContractSource.ROUND, offer, order.organisation, a["gpus"], start,
                      start + HOUR * hours, int(a["gpu_hours"]),
                      parse_cny(a["unit_price_cny"]), Decimal(a["subsidy_rate"]),
                      parse_cny(a["cost_cny"]), parse_cny(a["subsidy_cny"]),
                      parse_cny(a["buyer_pays_cny"]), _voucher(built, order), order.id,
                      rnd.id)
        try:
            with session.begin_nested():
                contracts.write_contract(session, match)
        except AppError as exc:
            order.status_reason = f"round {rnd.id}: not written: {exc.detail}"
            _unmatched(session, order, rnd, exc.detail)
            continue
        order.status, order.closed_at, order.status_reason = (
            OrderStatus.MATCHED, utcnow(), f"matched in round {rnd.id}")
        outbox.emit(session, "order.matched", subject=("order", order.id), orgs={
            "buyer": order.organisation_id}, payload={"order_id": order.id, "round_id": rnd.id})
        written += 1
    session.flush()
    return written


def _voucher(built: Built, order: Order) -> Voucher | None:
    return next((v for v in built.vouchers.values() if v.id == order.voucher_id), None)


def _note_unmatched(session: Session, rnd: Round, built: Built) -> None:
    assert rnd.result is not None
    for item in rnd.result.get("unmatched", []):
        built.orders[item["order"]].status_reason = (
            f"not matched in round {rnd.id}: {item['reason']}")
        _unmatched(session, built.orders[item["order"]], rnd, item["reason"])
    for item in built.left_out:
        built.skipped[item["order"]].status_reason = (
            f"left out of round {rnd.id}: {item['reason']}")
        _unmatched(session, built.skipped[item["order"]], rnd, item["reason"])


def _unmatched(session: Session, order: Order, rnd: Round, reason: str) -> None:
    outbox.emit(session, "order.unmatched", subject=("order", order.id), orgs={
        "buyer": order.organisation_id}, payload={"order_id": order.id, "round_id": rnd.id,
                                                  "reason": reason})


def get_round(session: Session, round_id: int) -> Round:
    rnd = repository.round_(session, round_id)
    if rnd is None:
        raise NotFound(f"no round {round_id}", field="round_id")
    return rnd


IGNORED = frozenset({"solve_seconds"})


def compare(stored: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """The members of two results that differ, ignoring how long the solve took."""
    keys = sorted((set(stored) | set(again)) - IGNORED)
    return [k for k in keys if stored.get(k) != again.get(k)]


def rerun(session: Session, round_id: int) -> list[str]:
    """Clear the round's stored snapshot again; the members that differ from its result."""
    rnd = get_round(session, round_id)
    if rnd.snapshot is None or rnd.result is None:
        raise Conflict(f"round {round_id} has no stored result to compare", field="round_id")
    again = clearing.clear(rnd.snapshot, time_limit=float(rnd.time_limit_s))
    return compare(rnd.result, again)


def due(session: Session, *, every: timedelta, now: datetime) -> bool:
    """Whether the schedule calls for a round: none yet, or the last began ``every`` ago."""
    latest = repository.latest_round_start(session)
    return latest is None or latest <= now - every
