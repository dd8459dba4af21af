"""Vouchers released in tranches: the later parts wait as holds on the program's budget.

At issue the first part moves to the voucher (`voucher-issue:V`); each later part n is a
hold from `program-budget:P` to `voucher:V` (`voucher-tranche:V:n`), so no other voucher can
take that budget. A reviewer of the program's authority confirms the part's milestone and
the hold is posted (`voucher-tranche:V:n:release`); expiry and clawback void the parts still
held, which returns them to the budget. Holds expire with the voucher too, so money never
stays stuck.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import HoldAlreadyResolved, HoldExpired
from suanli.programs.models import Program
from suanli.programs.text import clean
from suanli.vouchers import repository
from suanli.vouchers.models import Voucher, VoucherStatus


def hold_rest(session: Session, voucher: Voucher, program: Program, parts: list[int], *,
              now: datetime) -> None:
    """Record the plan on the voucher and hold every part after the first on the budget."""
    plan = list(program.tranches or [])
    if not plan:
        return
    rows: list[dict[str, Any]] = []
    for index, (part, amount) in enumerate(zip(plan, parts, strict=True)):
        hold_id = None if index == 0 else f"voucher-tranche:{voucher.id}:{index}"
        if hold_id is not None and amount > 0:
            ledger.hold(session, id=hold_id, debit=program.budget_account,
                        credit=voucher.account_code, amount=amount, reason="voucher-tranche",
                        ref=f"voucher:{voucher.id}", expires_at=voucher.valid_until, now=now)
        rows.append({"share": part["share"], "milestone": part["milestone"],
                     "amount_fen": amount, "hold_id": hold_id,
                     "released_at": now.isoformat() if index == 0 else None,
                     "released_by": None})
    voucher.tranches = rows


def release(session: Session, *, voucher_id: int, index: int, reason: str,
            user_id: int | None, now: datetime | None = None) -> Voucher:
    """The milestone of part `index` is met: its held money moves to the voucher."""
    now = now or utcnow()
    text = clean(reason, field="reason", limit=500)
    if not text:
        raise ValidationFailed("say how the milestone was met", field="reason")
    voucher = repository.lock(session, voucher_id)
    if voucher is None:
        raise NotFound(f"no voucher {voucher_id}", field="voucher_id")
    rows = [dict(row) for row in voucher.tranches or []]
    if not 1 <= index < len(rows):
        raise NotFound(f"voucher {voucher_id} has no tranche {index} to release",
                       field="tranche")
    row = rows[index]
    if row["released_at"] is not None:
        raise Conflict(f"tranche {index} was released on {row['released_at'][:10]}",
                       field="tranche")
    if voucher.status != VoucherStatus.ACTIVE or now >= voucher.valid_until:
        raise Conflict(f"the voucher is {voucher.status}; its tranches lapsed",
                       field="voucher_id")
    if row["amount_fen"] > 0:
        ledger.post(session, id=f"{row['hold_id']}:release", pending_id=row["hold_id"],
                    reason="voucher-tranche-release", ref=f"voucher:{voucher.id}", now=now)
    row.update(released_at=now.isoformat(), released_by=user_id, reason=text)
    voucher.tranches = rows  # a new list, so the JSON column is written
    session.flush()
    audit.record(session, action="voucher.tranche_release", object_type="voucher",
                 object_id=voucher.id, organisation_id=voucher.holder_org_id,
                 after={"tranche": index, "amount_fen": row["amount_fen"], "reason": text})
    return voucher


def void_pending(session: Session, voucher: Voucher, *, now: datetime) -> int:
    """Void the parts still held (the voucher closes); returns how much went back."""
    back = 0
    for row in voucher.tranches or []:
        hold_id = row.get("hold_id")
        if hold_id is None or row.get("released_at") is not None or row["amount_fen"] <= 0:
            continue
        try:
            ledger.void(session, id=f"{hold_id}:void", pending_id=hold_id,
                        reason="voucher closed", ref=f"voucher:{voucher.id}", now=now)
        except (HoldAlreadyResolved, HoldExpired):  # lapsed: the budget has it back
            continue
        back += row["amount_fen"]
    return back
