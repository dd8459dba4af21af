"""What cancelling a contract needs from settlement, which stands above the market.

Once settlement has billed a day of a contract, the contract's holds are settlement's (it
posted from them and re-held the rest in its own chains), so a cancellation becomes the
contract's final settlement: settlement bills what the cancellation charge still owes and
releases both chains. Settlement plugs that in when its service is loaded
(`suanli.settlement.service`), which every process that settles or serves the site does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from suanli.market.models import Contract


class FinalBill(Protocol):
    def __call__(self, session: Session, *, contract: Contract, charge_fen: int,
                 now: datetime) -> object: ...


_final_bills: list[FinalBill] = []


def plug_in(final_bill: FinalBill) -> None:
    """Let `final_bill` close contracts whose days settlement has begun billing."""
    _final_bills[:] = [final_bill]


def final_bill(session: Session, *, contract: Contract, charge_fen: int,
               now: datetime) -> None:
    """Close `contract` as its final settlement, billing what `charge_fen` still owes."""
    if not _final_bills:
        raise RuntimeError("settlement has not plugged in its final bill: import "
                           "suanli.settlement.service before cancelling billed contracts")
    _final_bills[0](session, contract=contract, charge_fen=charge_fen, now=now)
