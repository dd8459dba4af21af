"""Where each contract's chains of holds stand (see `charges` for why there are chains).

The first link is the hold the market placed when it made the contract; this module reads
it from the ledger once and from then on keeps the head of the chain in
`settlement_hold_chains`, locked while a settlement or a claim decision moves it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.kit.timeutil import utcnow
from suanli.ledger import repository as ledger_repo
from suanli.ledger.posting import HoldState, TransferSpec
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
    row = repo.chain(session, contract.id, side)
    if row is not None:
        if row.remaining and not _still_held(session, row.hold_id, now or utcnow()):
            row.remaining, row.earmarked = 0, 0
        return row
    hold_id = contract.voucher_hold_id if side is Side.VOUCHER else contract.buyer_hold_id
    if not hold_id:
        return None
    stored = ledger_repo.transfer_by_id(session, hold_id)
    if stored is None:
        return None
    # A hold already resolved elsewhere (e.g. by a cancellation) leaves nothing to settle.
    remaining = stored.amount if _still_held(session, hold_id, now or utcnow()) else 0
    row = HoldChain(contract_id=contract.id, side=side, hold_id=hold_id, debit=stored.debit,
                    credit=stored.credit, remaining=remaining, earmarked=0,
                    expires_at=stored.expires_at)
    repo.add(session, row)
    return row


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
