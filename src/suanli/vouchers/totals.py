"""Per-program totals of vouchers, read from the ledger (for the budget dashboard)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from suanli.programs import vouchers_port
from suanli.programs.vouchers_port import ProgramTotals
from suanli.vouchers import repository, service

__all__ = ["ProgramTotals", "program_totals", "register"]


def program_totals(session: Session, program_ids: Collection[int]) -> dict[int, ProgramTotals]:
    """Totals per program; one ledger read per voucher (fine for hundreds of vouchers)."""
    rows = repository.vouchers(session, program_ids=program_ids) if program_ids else []
    balances = service.balances(session, rows)
    acc: dict[int, list[int]] = {pid: [0] * 7 for pid in program_ids}
    by_split: dict[int, dict[tuple[int, ...], int]] = {pid: {} for pid in program_ids}
    for voucher in rows:
        b = balances[voucher.id]
        t = acc[voucher.program_id]
        for i, value in enumerate((1, b.face_value, b.available, b.held, b.spent, b.returned,
                                   b.awaiting)):
            t[i] += value
        split = tuple(voucher.funder_shares or ())
        splits = by_split[voucher.program_id]
        splits[split] = splits.get(split, 0) + b.spent
    return {pid: ProgramTotals(t[0], t[1], t[2], t[3], t[4], t[5], t[6],
                               spent_by_split=tuple(sorted(by_split[pid].items())))
            for pid, t in acc.items()}


def register() -> None:
    """Plug `program_totals` into the programs domain's budget views (at start-up)."""
    vouchers_port.plug_in(program_totals)
