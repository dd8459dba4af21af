"""What a program's budget needs from the vouchers domain, which stands above programs: the
totals of each program's vouchers, read from the ledger. The vouchers domain plugs its
reader in at start-up (`suanli.vouchers.totals.register`, called by the app)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ProgramTotals:
    vouchers: int = 0
    issued: int = 0  # face value issued
    outstanding: int = 0  # still spendable on the vouchers (available)
    held: int = 0  # reserved by contracts
    spent: int = 0
    returned: int = 0  # given back to the program (expiry, clawback)
    awaiting: int = 0  # later tranches held on the budget until their milestones
    # What was spent, by the funder split the vouchers were issued with (() = the program's
    # shares), so that each funder's paid share follows its tiers.
    spent_by_split: tuple[tuple[tuple[int, ...], int], ...] = field(default=())


TotalsReader = Callable[[Session, Collection[int]], dict[int, ProgramTotals]]
_readers: list[TotalsReader] = []


def plug_in(reader: TotalsReader) -> None:
    """Let `program_totals` read through `reader` (the vouchers domain's, at start-up)."""
    _readers[:] = [reader]


def program_totals(session: Session, program_ids: Collection[int]) -> dict[int, ProgramTotals]:
    """Totals per program of its vouchers."""
    if not _readers:
        raise RuntimeError("the vouchers domain has not plugged in its totals: call "
                           "suanli.vouchers.totals.register() at start-up")
    return _readers[0](session, program_ids)
