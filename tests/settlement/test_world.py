"""The test world builds (a canary for the helpers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from tests.settlement.world import build_world


def test_world(db: Session, member: Callable[..., Any]) -> None:
    w = build_world(db, member)
    assert w.contract.gpus == 8 and w.contract.unit_price_fen == 1000
    assert w.contract.subsidy_fen == 192_000 and w.contract.buyer_pays_fen == 192_000
    assert w.contract.voucher_hold_id and w.contract.buyer_hold_id
