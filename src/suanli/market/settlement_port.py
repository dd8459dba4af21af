"""What cancelling a contract needs from settlement, which stands above the market.

A cancellation after the start is the contract's final settlement: settlement bills what
the cancellation charge still owes (the voucher's share, claim and payout as for usage) and
releases both chains. Once settlement has billed a day, the holds are settlement's anyway
(it posted from them and re-held the rest in its own chains). Settlement plugs that in
when its service is loaded (`suanli.settlement.service`), which every process that settles
or serves the site does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from suanli.market.models import Contract


class FinalBill(Protocol):
    def __call__(self, session: Session, *, contract: Contract, charge_fen: int,
                 fee_fen: int, now: datetime) -> object: ...


_final_bills: list[FinalBill] = []


def plug_in(final_bill: FinalBill) -> None:
    """Let `final_bill` close contracts whose days settlement has begun billing."""
    _final_bills[:] = [final_bill]


def plugged_in() -> bool:
    return bool(_final_bills)


def final_bill(session: Session, *, contract: Contract, charge_fen: int, fee_fen: int,
               now: datetime) -> None:
    """Close `contract` as its final settlement, billing what `charge_fen` still owes
    (of which `fee_fen` is the fee for hours never run)."""
    if not _final_bills:
        raise RuntimeError("settlement has not plugged in its final bill: import "
                           "suanli.settlement.service before cancelling billed contracts")
    _final_bills[0](session, contract=contract, charge_fen=charge_fen, fee_fen=fee_fen,
                    now=now)
