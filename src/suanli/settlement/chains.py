"""Where each contract's chains of holds stand (see `charges` for why there are chains).

The first link is the hold the market placed when it made the contract; this module reads
it from the ledger once and from then on keeps the head of the chain in
`settlement_hold_chains`, locked while a settlement or a claim decision moves it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict, InsufficientFunds
from suanli.kit.money import format_cny
from suanli.kit.timeutil import utcnow
from suanli.ledger import repository as ledger_repo
from suanli.ledger import service as ledger
from suanli.ledger.posting import EXPIRE_PREFIX, HoldState, TransferKind, TransferSpec
from suanli.market.contracts import HOLD_GRACE
from suanli.market.models import Contract
from suanli.settlement import repository as repo
from suanli.settlement.charges import Link, Step, advance
from suanli.settlement.models import HoldChain, Side


def head(session: Session, contract: Contract, side: Side, now: datetime | None = None
         ) -> HoldChain | None:
    """The chain of one side of a contract (locked), started from the market's hold.

    A link the ledger no longer holds (expired, or resolved by a cancellation) reserves
    nothing any more: the chain is closed.
    """
    now = now or utcnow()
    row = repo.chain(session, contract.id, side)
    if row is None:
        hold_id = contract.voucher_hold_id if side is Side.VOUCHER else contract.buyer_hold_id
        stored = ledger_repo.transfer_by_id(session, hold_id) if hold_id else None
        if stored is None:
            return None
        row = HoldChain(contract_id=contract.id, side=side, hold_id=stored.id,
                        debit=stored.debit, credit=stored.credit, remaining=stored.amount,
                        earmarked=0, expires_at=stored.expires_at)
        repo.add(session, row)
    if row.remaining and not _still_held(session, row.hold_id, now):
        if _lapsed(session, row.hold_id, now):
            _hold_again(session, contract, row, now)
        else:  # resolved elsewhere (e.g. by a cancellation): nothing left to settle
            row.remaining, row.earmarked = 0, 0
    return row


def _lapsed(session: Session, hold_id: str, now: datetime) -> bool:
    """Whether the hold expired (swept, or past its expiry and not swept yet)."""
    stored = ledger_repo.transfer_by_id(session, hold_id)
    return stored is not None and (stored.hold_state is HoldState.EXPIRED or (
        stored.hold_state is HoldState.PENDING and stored.expires_at is not None
        and stored.expires_at <= now))


def _hold_again(session: Session, contract: Contract, row: HoldChain, now: datetime) -> None:
    """A link that expired before settlement was done with it: hold what it reserved again
    (expiring `HOLD_GRACE` from now), or fail loudly when the payer no longer has it; a
    settlement never turns a lapsed hold into "uncovered" silently."""
    lapsed = ledger_repo.transfer_by_id(session, row.hold_id)
    assert lapsed is not None
    specs = []
    if lapsed.hold_state is HoldState.PENDING:  # past its expiry, not swept yet
        specs.append(TransferSpec(str(TransferKind.EXPIRE), EXPIRE_PREFIX + row.hold_id,
                                  reason="expire", pending_id=row.hold_id))
    hold_id = f"contract:{contract.id}:{row.side}:held-again:{now:%Y%m%dT%H%M%S}"
    specs.append(TransferSpec.hold(id=hold_id, debit=row.debit, credit=row.credit,
                                   amount=row.remaining, reason="settlement-hold-again",
                                   ref=f"contract:{contract.id}", expires_at=now + HOLD_GRACE))
    try:
        with session.begin_nested():
            ledger.execute(session, specs, now=now, internal=True)
    except InsufficientFunds as exc:
        raise Conflict(
            f"contract {contract.id}: its {row.side} hold of {format_cny(row.remaining)} CNY "
            f"lapsed on {lapsed.expires_at:%Y-%m-%d} before settlement was done, and "
            f"{row.debit} no longer has that much available to hold again; record a "
            "deposit (or top up the voucher) and run settlement again",
            field="hold") from exc
    row.hold_id, row.expires_at = hold_id, now + HOLD_GRACE


def _still_held(session: Session, hold_id: str, now: datetime) -> bool:
    stored = ledger_repo.transfer_by_id(session, hold_id)
    return (stored is not None and stored.hold_state is HoldState.PENDING
            and (stored.expires_at is None or stored.expires_at > now))


def link(row: HoldChain) -> Link:
    return Link(row.hold_id, row.debit, row.credit, row.remaining, row.expires_at)


def step(row: HoldChain, *, amount: int, keep: int, prefix: str, reason: str,
         ref: str | None = None, lasting: bool = False) -> tuple[TransferSpec, ...]:
    """Move the chain on: post `amount`, keep `keep` held; returns the transfers to write.

    `prefix` makes the ids (`<prefix>-post`, `-void`, `-hold`); `lasting` re-holds without
    an expiry (what waits for a claim decision must not lapse).
    """
    current = link(row)
    if lasting:
        current = replace(current, expires_at=None)
    moved: Step = advance(current, amount=amount, keep=keep, reason=reason, ref=ref,
                          ids=(f"{prefix}-post", f"{prefix}-void", f"{prefix}-hold"))
    row.hold_id, row.remaining = moved.link.hold_id, moved.link.remaining
    row.expires_at = moved.link.expires_at
    return moved.specs


def grow(row: HoldChain, *, extra: int, prefix: str, reason: str, ref: str | None = None
         ) -> tuple[TransferSpec, ...]:
    """Reserve `extra` more on the chain (a claim for late usage will take it): the current
    link is voided and the whole held again under `<prefix>-hold`, without an expiry, in
    the same linked batch (the debit account must have `extra` available)."""
    if extra <= 0:
        return ()
    specs: list[TransferSpec] = []
    if row.remaining:
        specs.append(TransferSpec.void(id=f"{prefix}-void", pending_id=row.hold_id,
                                       reason=reason, ref=ref))
    amount = row.remaining + extra
    specs.append(TransferSpec.hold(id=f"{prefix}-hold", debit=row.debit, credit=row.credit,
                                   amount=amount, reason=reason, ref=ref))
    row.hold_id, row.remaining, row.expires_at = f"{prefix}-hold", amount, None
    return tuple(specs)


def current_holds(session: Session, contract: Contract) -> dict[Side, str | None]:
    """The hold each side of a contract stands on now (what a cancellation must void)."""
    out: dict[Side, str | None] = {}
    for side, first in ((Side.VOUCHER, contract.voucher_hold_id),
                        (Side.BUYER, contract.buyer_hold_id)):
        row = repo.chain(session, contract.id, side, lock=False)
        out[side] = first if row is None else (row.hold_id if row.remaining else None)
    return out
