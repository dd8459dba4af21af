"""Cancelling a running contract whose days settlement has already billed: the
cancellation becomes the contract's final settlement, billing what its terms still owe."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict
from suanli.ledger import service as ledger
from suanli.ledger.models import Transfer
from suanli.ledger.verify import verify
from suanli.market import contracts
from suanli.market.models import ContractState
from suanli.metering import service as metering
from suanli.settlement import service
from suanli.settlement.models import Claim, ContractSettlement
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def _settlements(db: Session, contract_id: int) -> list[ContractSettlement]:
    return list(db.execute(select(ContractSettlement).where(
        ContractSettlement.contract_id == contract_id).order_by(ContractSettlement.period))
        .scalars())


def test_a_contract_with_settled_days_is_cancelled_by_a_final_settlement(
        db: Session, world: World) -> None:
    use(db, world, (0, 24, 8), (24, 30, 8))
    service.settle_period(db, period_end=world.day1)
    c = world.contract
    at = world.start + timedelta(hours=30)
    # 30 hours begun at the unit price, plus the offer's fee on the 18 not begun.
    hourly = c.unit_price_fen * c.gpus
    fee = int((Decimal(c.offer.cancel_fee_rate) * hourly * 18).quantize(Decimal(1)))
    expected = min(c.cost_fen, hourly * 30 + fee)
    assert contracts.cancellation_charge(c, at) == expected

    cancelled = contracts.cancel_contract(db, contract_id=c.id, buyer_ids=None, now=at)
    assert cancelled.state == ContractState.CANCELLED
    assert cancelled.cancel_charge_fen == expected
    day1, last = _settlements(db, c.id)
    assert (day1.final, last.final) == (False, True)
    assert day1.charge_fen + last.charge_fen == expected  # billed in all: the charge
    assert last.voucher_fen + last.buyer_fen + last.uncovered_fen == last.charge_fen
    unbilled = metering.unsettled(db, contract_id=c.id, until=None).records
    assert unbilled == 0  # the day's usage went with the final settlement
    # Nothing stays held for the contract on either payer; the voucher paid its share.
    voucher = ledger.balance(db, world.voucher.account_code)
    cash = ledger.balance(db, f"buyer-cash:{world.buyer.org_slug}")
    assert voucher.debits_pending == 0 and cash.debits_pending == 0
    assert voucher.debits_posted == day1.voucher_fen + last.voucher_fen
    claims = db.execute(select(func.count()).select_from(Claim)).scalar_one()
    assert claims == 2  # one per settlement with a voucher share
    assert verify(db).ok, verify(db).problem

    # Later runs and a second cancellation change nothing.
    assert service.settle_period(db, period_end=world.day2).settled == 0
    with pytest.raises(Conflict, match="cancelled"):
        contracts.cancel_contract(db, contract_id=c.id, buyer_ids=None, now=at)
    assert len(_settlements(db, c.id)) == 2


def test_a_day_settled_twice_is_refused_not_doubled(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8), (24, 30, 8))
    service.settle_period(db, period_end=world.day1)
    service.settle_period(db, period_end=world.day2)  # the contract ended: settled in full
    with pytest.raises(Conflict):
        contracts.cancel_contract(db, contract_id=world.contract.id, buyer_ids=None,
                                  now=world.start + timedelta(hours=30))
    assert verify(db).ok


def test_a_cancellation_on_a_day_already_settled_is_refused_writing_nothing(
        db: Session, world: World) -> None:
    use(db, world, (0, 24, 8))
    service.settle_period(db, period_end=world.day1)
    transfers = db.execute(select(func.count()).select_from(Transfer)).scalar_one()
    with pytest.raises(Conflict, match="settled for") as refused:
        contracts.cancel_contract(db, contract_id=world.contract.id, buyer_ids=None,
                                  now=world.start + timedelta(hours=10))  # still day 1
    assert refused.value.field == "state"
    assert db.execute(select(func.count()).select_from(Transfer)).scalar_one() == transfers
    assert world.contract.state != ContractState.CANCELLED
    assert len(_settlements(db, world.contract.id)) == 1
