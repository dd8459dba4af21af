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
