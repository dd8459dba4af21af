"""The program settings settlement follows: partial vouchers, whether vouchers subsidise
cancellation fees, and usage reported after a contract's final settlement."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import instant
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy
from suanli.metering.importer import Format, import_in
from suanli.settlement import service
from suanli.settlement.models import ContractSettlement
from tests.settlement.usage import ANY
from tests.settlement.world import World, build_world, org_maker


def buy_rest(db: Session, world: World) -> Contract:
    """The other 8 GPUs of the world's offer for the same two days, with the voucher."""
    return instant.instant_buy(db, org_ids={world.buyer.org_id}, now=world.start - timedelta(
        hours=1), data=InstantBuy(offer_id=world.contract.offer_id, gpus=8, hours=48,
                                  start_at=world.start, voucher_id=world.voucher.id))


def deliver(db: Session, contract: Contract, hours: int = 48, ref: str = "all") -> None:
    line = json.dumps({"contract_id": contract.id, "ref": ref, "gpus": contract.gpus,
                       "start": contract.start_at.isoformat(),
                       "end": (contract.start_at + timedelta(hours=hours)).isoformat()})
    report = import_in(db, lines=[line], fmt=Format.JSON, reporter=ANY)
    assert not report.rejected, report.rejected


def settled(db: Session, contract_id: int) -> list[ContractSettlement]:
    return list(db.execute(select(ContractSettlement).where(
        ContractSettlement.contract_id == contract_id).order_by(ContractSettlement.period))
        .scalars())


def test_a_short_voucher_is_refused_by_default(db: Session) -> None:
    world = build_world(db, org_maker(db), voucher_fen=250_000)  # 58,000 left after 192,000
    with pytest.raises(Conflict) as caught:
        buy_rest(db, world)
    assert caught.value.field == "voucher_id" and "580.00" in caught.value.detail


def test_a_partial_voucher_pays_what_is_left_and_the_buyer_the_rest(db: Session) -> None:
    world = build_world(db, org_maker(db), voucher_fen=250_000, partial_vouchers=True)
    second = buy_rest(db, world)
    assert (second.cost_fen, second.subsidy_fen, second.buyer_pays_fen) == (
        384_000, 58_000, 326_000)
    assert ledger.balance(db, world.voucher.account_code).available == 0
    deliver(db, second)
    service.settle_period(db, period_end=world.day2)
    (row,) = settled(db, second.id)
    assert (row.charge_fen, row.voucher_fen, row.buyer_fen, row.uncovered_fen) == (
        384_000, 58_000, 326_000, 0)
    assert verify(db).ok
