"""Cancelling a contract whose days settlement has already billed is refused cleanly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict
from suanli.ledger.models import Transfer
from suanli.ledger.verify import verify
from suanli.market import contracts
from suanli.market.models import ContractState
from suanli.settlement import service
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def test_a_contract_with_settled_days_cannot_be_cancelled(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8))
    service.settle_period(db, period_end=world.day1)
    transfers = db.execute(select(func.count()).select_from(Transfer)).scalar_one()
    with pytest.raises(Conflict, match="settled usage") as refused:
        contracts.cancel_contract(db, contract_id=world.contract.id, buyer_ids=None,
                                  now=world.start + timedelta(hours=30))
    assert refused.value.field == "state"
    assert db.execute(select(func.count()).select_from(Transfer)).scalar_one() == transfers
    assert world.contract.state != ContractState.CANCELLED
    final = service.settle_period(db, period_end=world.day2)  # it still settles to the end
    assert final.final == 1
    assert verify(db).ok
