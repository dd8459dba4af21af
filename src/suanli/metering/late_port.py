"""What importing usage needs from settlement, which stands above metering: whether a
contract still takes usage once it is settled to its end.

Usage reported after a contract's final settlement is billed by the next settlement run as
an adjustment, unless the contract's program refuses late usage (`refuse_late_usage`); then
the row is refused with the reason this port gives. Settlement plugs it in when its service
is loaded (`suanli.settlement.service`); unplugged, nothing is refused here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy.orm import Session


class Closed(Protocol):
    def __call__(self, session: Session, contract_ids: Collection[int]) -> dict[int, str]: ...


_closed: list[Closed] = []


def plug_in(closed: Closed) -> None:
    """Let `closed` say which contracts refuse late usage, and why."""
    _closed[:] = [closed]


def refusing(session: Session, contract_ids: Collection[int]) -> dict[int, str]:
    """Of these contracts, those that refuse usage now: contract id -> the reason."""
    if not _closed or not contract_ids:
        return {}
    return _closed[0](session, contract_ids)
