"""The program settings settlement follows: partial vouchers, whether vouchers subsidise
cancellation fees, and usage reported after a contract's final settlement."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.kit.errors import Conflict, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import contracts, instant
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy
from suanli.metering import service as metering
from suanli.metering.importer import Format, import_in
from suanli.metering.parse_json import UsageRecordIn
from suanli.programs.enums import RedemptionMode
from suanli.settlement import claims, service
from suanli.settlement.models import Claim, ContractSettlement
from tests.settlement.usage import ANY, use
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


@pytest.mark.parametrize("mode", list(RedemptionMode))
@pytest.mark.parametrize("with_fee", [False, True])
def test_a_cancellation_claim_says_so_and_carries_the_delivered_usage(
        db: Session, mode: RedemptionMode, with_fee: bool) -> None:
    world = build_world(db, org_maker(db), mode=mode, subsidise_cancellation=with_fee)
    use(db, world, (0, 24, 8), (24, 30, 8))
    at = world.start + timedelta(hours=30)
    contracts.cancel_contract(db, contract_id=world.contract.id, buyer_ids=None, now=at)
    hourly = 8 * 1000
    fee = int(Decimal("0.2") * hourly * 18)  # the offer's 20 % on the 18 hours not begun
    (row,) = settled(db, world.contract.id)
    assert (row.kind, row.final, row.charge_fen) == ("cancellation", True, hourly * 30 + fee)
    claim = db.execute(select(Claim)).scalars().one()
    assert claim.kind == "cancellation" and claim.evidence["kind"] == "cancellation"
    # By default the voucher subsidises the hours begun, not the fee for hours never run.
    assert claim.amount_fen == (hourly * 30 + (fee if with_fee else 0)) // 2
    assert claim.evidence["cancellation"] == {
        "cancelled_at": at.isoformat(), "charge_fen": hourly * 30 + fee, "fee_fen": fee,
        "fee_subsidised": with_fee}
    delivered = claim.evidence["delivered"]
    assert (delivered["records"], delivered["billable_gpu_seconds"]) == (2, 8 * 30 * 3600)
    assert claim.claimant_org_id == (world.buyer.org_id if mode is
                                     RedemptionMode.BUYER_REIMBURSED else world.provider.org_id)
    assert row.uncovered_fen == 0
    assert verify(db).ok


@pytest.mark.parametrize("mode", list(RedemptionMode))
def test_usage_reported_after_the_final_settlement_is_billed_as_an_adjustment(
        db: Session, mode: RedemptionMode) -> None:
    world = build_world(db, org_maker(db), mode=mode)
    use(db, world, (0, 24, 8))
    service.settle_period(db, period_end=world.day1)
    service.settle_period(db, period_end=world.day2)  # the end: nothing more that day
    use(db, world, (24, 36, 8), ref="late")  # accepted: the program bills late usage
    assert service.settle_period(db, period_end=world.day2).settled == 0  # that day is done
    run = service.settle_period(db, period_end=world.day2 + timedelta(days=1))
    assert (run.settled, run.adjusted, run.charge_fen) == (1, 1, 96_000)
    *_, late = settled(db, world.contract.id)
    assert (late.kind, late.final, late.charge_fen, late.voucher_fen, late.uncovered_fen) == (
        "adjustment", False, 96_000, 48_000, 0)
    found = list(db.execute(select(Claim).order_by(Claim.id)).scalars())
    assert [c.kind for c in found] == ["usage", "adjustment"]
    assert found[-1].evidence["invoice"]["charge_fen"] == 96_000
    for claim in found:
        claims.decide(db, claim_id=claim.id, approve=True, reason=None,
                      authority_ids={world.authority.org_id}, user_id=None)
    payout = ledger.balance(db, f"provider-payout:{world.provider.org_slug}")
    assert payout.credits_posted == 192_000 + 96_000
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_posted, voucher.debits_pending) == (144_000, 0)
    cash = ledger.balance(db, f"buyer-cash:{world.buyer.org_slug}")
    assert cash.debits_posted - (cash.credits_posted - 10_000_000) == 144_000
    assert cash.debits_pending == 0
    assert service.settle_period(db, period_end=world.day2 + timedelta(days=2)).settled == 0
    assert verify(db).ok, verify(db).problem


def test_late_usage_is_refused_where_the_program_forbids_it(db: Session) -> None:
    world = build_world(db, org_maker(db), refuse_late_usage=True)
    use(db, world, (0, 24, 8))
    service.settle_period(db, period_end=world.day2)
    line = json.dumps({"contract_id": world.contract.id, "ref": "late", "gpus": 8,
                       "start": (world.start + timedelta(hours=30)).isoformat(),
                       "end": (world.start + timedelta(hours=36)).isoformat()})
    report = import_in(db, lines=[line], fmt=Format.JSON, reporter=ANY)
    (refused,) = report.rejected
    assert refused.field == "end" and "refuses usage reported after" in refused.reason
    assert report.accepted == 0
    with pytest.raises(ValidationFailed) as caught:  # the usage API: a 422 naming the field
        metering.report_usage(db, records=[UsageRecordIn.model_validate_json(line)],
                              reporter=ANY, run="api")
    assert caught.value.field == "records[0].end"
