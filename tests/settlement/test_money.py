"""Money on real usage, through the database: both redemption modes pay the provider every
charge, the buyer its net share and the city exactly the subsidy; running totals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.kit.errors import InsufficientFunds
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import instant
from suanli.market.schemas import InstantBuy
from suanli.programs.enums import RedemptionMode
from suanli.settlement import claims, service
from suanli.settlement.models import Claim, ContractSettlement
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker

COST = 384_000  # 8 GPUs x 48 hours at 10.00
SUBSIDY = 192_000  # the program's 50 %


def approve_all(db: Session, world: World) -> list[Claim]:
    found = list(db.execute(select(Claim).order_by(Claim.id)).scalars())
    for claim in found:
        claims.decide(db, claim_id=claim.id, approve=True, reason=None,
                      authority_ids={world.authority.org_id}, user_id=None)
    return found


def rows(db: Session, contract_id: int) -> list[ContractSettlement]:
    return list(db.execute(select(ContractSettlement).where(
        ContractSettlement.contract_id == contract_id).order_by(ContractSettlement.period))
        .scalars())


def credits(db: Session, code: str) -> int:
    return ledger.balance(db, code).credits_posted


def net_paid(db: Session, code: str, deposited: int) -> int:
    """What the buyer's cash paid out net of reimbursements (nothing stays held)."""
    b = ledger.balance(db, code)
    assert b.debits_pending == 0
    return b.debits_posted - (b.credits_posted - deposited)


@pytest.mark.parametrize("mode", list(RedemptionMode))
def test_both_modes_pay_the_provider_every_charge(db: Session, mode: RedemptionMode) -> None:
    world = build_world(db, org_maker(db), mode=mode, cash_fen=COST)
    cash = f"buyer-cash:{world.buyer.org_slug}"
    reimbursed = mode is RedemptionMode.BUYER_REIMBURSED
    # Beijing's buyer pays the provider in full: the contract holds the whole cost on its cash.
    assert ledger.balance(db, cash).available == (0 if reimbursed else SUBSIDY)
    if reimbursed:
        with pytest.raises(InsufficientFunds) as caught:  # nothing left to buy more with
            instant.instant_buy(db, org_ids={world.buyer.org_id}, now=world.start - timedelta(
                hours=1), data=InstantBuy(offer_id=world.contract.offer_id, gpus=1, hours=1,
                                          start_at=world.start))
        assert caught.value.field == "cash"
    use(db, world, (0, 24, 8), (24, 48, 8))
    service.settle_period(db, period_end=world.day1)
    service.settle_period(db, period_end=world.day2)
    settled = rows(db, world.contract.id)
    assert sum(r.uncovered_fen for r in settled) == 0
    assert sum(r.charge_fen for r in settled) == COST
    assert sum(r.voucher_fen for r in settled) == SUBSIDY
    paid = approve_all(db, world)
    assert sum(c.amount_fen for c in paid) == SUBSIDY
    assert {c.claimant_org_id for c in paid} == {
        world.buyer.org_id if reimbursed else world.provider.org_id}
    assert credits(db, f"provider-payout:{world.provider.org_slug}") == COST
    assert net_paid(db, cash, COST) == COST - SUBSIDY
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_posted, voucher.debits_pending) == (SUBSIDY, 0)
    assert verify(db).ok, verify(db).problem


def test_days_bill_from_the_running_total_never_more_than_the_price(db: Session) -> None:
    # Three days at 10.01: each day's usage alone is a fraction of a fen over a whole fen,
    # so rounding day by day would bill 1 fen more than the price of the whole contract.
    world = build_world(db, org_maker(db), days_ago=4, hours=72, ask="10.01")
    use(db, world, (0, 23.7, 8), (23.7, 47.3, 8), (47.3, 72, 8))
    for day in range(3):
        service.settle_period(db, period_end=world.day1 + timedelta(days=day))
    settled = rows(db, world.contract.id)
    assert [r.final for r in settled] == [False, False, True]
    assert sum(r.charge_fen for r in settled) == world.contract.cost_fen == 576_576
    assert sum(r.voucher_fen for r in settled) == world.contract.subsidy_fen
    assert sum(r.uncovered_fen for r in settled) == 0
    assert verify(db).ok


def test_a_job_over_midnight_is_billed_on_each_day_for_its_time_there(db: Session) -> None:
    world = build_world(db, org_maker(db))
    use(db, world, (20, 28, 8))  # 20:00 on day 1 to 04:00 on day 2 (Asia/Shanghai)
    service.settle_period(db, period_end=world.day1)
    (first,) = rows(db, world.contract.id)
    assert (first.period, first.gpu_seconds, first.charge_fen) == (
        world.day1, 8 * 4 * 3600, 32_000)
    claim = db.execute(select(Claim)).scalars().one()
    assert claim.evidence["usage"]["billable_gpu_seconds"] == 8 * 4 * 3600
    assert len(claim.evidence["usage"]["record_ids"]) == 1  # the record, partly billed
    service.settle_period(db, period_end=world.day2)
    _, last = rows(db, world.contract.id)
    assert (last.gpu_seconds, last.charge_fen, last.records) == (8 * 4 * 3600, 32_000, 1)
    assert verify(db).ok
