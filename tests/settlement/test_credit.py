"""Post-paid credit lines ("use first, pay later", Shanghai 2026): contracts hold the
buyer's share against the line, settlement pays the provider as always, a monthly bill
totals the charges, unpaid bills past their due day block trading until paid."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.catalog.service import load_reference_data
from suanli.kit.errors import Conflict, InsufficientFunds, ValidationFailed
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import funds, offers_service, orders_service
from suanli.market.capacity import next_whole_hour
from suanli.market.models import Contract
from suanli.market.rounds import Options, run_round
from suanli.market.schemas import OfferCreate, OrderCreate
from suanli.metering.importer import Format, import_in
from suanli.programs import credit, credit_bills, credit_pay
from suanli.programs.credit_terms import due_on, month_end
from suanli.programs.enums import RedemptionMode
from suanli.programs.models import Program
from suanli.providers.models import Cluster
from suanli.settlement import claims, service
from suanli.settlement.charges import period_bounds, period_of
from suanli.settlement.models import Claim
from suanli.vouchers import service as vouchers
from suanli.vouchers.models import Voucher
from tests.programs.factory import make_program
from tests.settlement.test_program_settings import deliver
from tests.settlement.usage import ANY
from tests.settlement.world import Org, attested_cluster, contract_on, org_maker

SHARE = 192_000  # the buyer's half of 8 GPUs x 48 h at 10.00 CNY


@dataclass
class Credit:
    authority_id: int
    buyer: Org
    provider: Org
    program: Program
    voucher: Voucher
    cluster: Cluster
    start: datetime

    def buy(self, db: Session, start: datetime | None = None, **kw: Any) -> Contract:
        return contract_on(db, self.cluster, self.buyer.org_id, self.voucher,
                           start or self.start, **kw)

    @property
    def line(self) -> str:
        return f"buyer-credit:{self.buyer.org_slug}"


def setting_up(db: Session, *, limit_fen: int | None = 500_000, credit_lines: bool = True,
               cash_fen: int = 0, **program: Any) -> Credit:
    """A program (credit lines on), its voucher to a buyer with `limit_fen` of credit and
    `cash_fen` of cash, and an attested provider; the contract days lie 3 days back."""
    load_reference_data(db)
    make = org_maker(db)
    buyer, provider = make(Role.BUYER), make(Role.PROVIDER)
    slug = f"authority-{uuid.uuid4().hex[:8]}"
    authority = auth_service.create_organisation(db, slug=slug, name=slug.title(),
                                                 kind=OrgKind.AUTHORITY, city="shanghai")
    start = period_bounds(period_of(utcnow()) - timedelta(days=3))[0]
    program = make_program(db, authority.id, credit_lines=credit_lines, **program)
    voucher = vouchers.issue(db, program=program, holder_org_id=buyer.org_id,
                             value_fen=1_000_000_00, application_id=None, user_id=None,
                             now=start - timedelta(hours=2))
    if cash_fen:
        funds.record_deposit(db, organisation=buyer.org_slug, amount_fen=cash_fen,
                             reference="bank-1")
    if limit_fen is not None:
        credit.grant(db, program=program, organisation=buyer.org_slug, limit_fen=limit_fen,
                     due_days=15, user_id=None)
    return Credit(authority.id, buyer, provider, program, voucher,
                  attested_cluster(db, provider.org_id), start)


def this_month_end() -> datetime:
    return month_end(to_shanghai(utcnow()).date().replace(day=1))


def test_a_contract_holds_on_the_line_and_the_month_is_billed_and_paid(db: Session) -> None:
    world = setting_up(db)
    contract = world.buy(db)
    assert contract.buyer_pays_fen == SHARE
    assert ledger.balance(db, world.line).available == 500_000 - SHARE
    assert funds.cash_balance(db, world.buyer.org_slug).debits_pending == 0  # no cash held
    deliver(db, contract)
    service.settle_period(db, period_end=period_of(contract.end_at) - timedelta(days=1))
    service.settle_period(db, period_end=period_of(contract.end_at - timedelta(seconds=1)))
    payout = ledger.balance(db, f"provider-payout:{world.provider.org_slug}")
    assert payout.credits_posted == SHARE  # the provider is paid the buyer's share as ever
    line = ledger.balance(db, world.line)
    assert (line.debits_posted, line.debits_pending, line.available) == (
        SHARE, 0, 500_000 - SHARE)
    first = to_shanghai(utcnow()).date().replace(day=1)
    later = this_month_end() + timedelta(hours=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=later)
    assert (bill.amount_fen, bill.paid_fen, bill.month) == (SHARE, 0, f"{first:%Y-%m}")
    assert bill.due_on == due_on(first, 15)
    assert credit_bills.bill_month(db, month=first, now=later) == []  # once per month
    with pytest.raises(InsufficientFunds) as short:  # no cash yet
        credit_pay.pay(db, bill_id=bill.id, amount_fen=None, source="cash",
                       buyer_ids={world.buyer.org_id})
    assert short.value.field == "cash"
    funds.record_deposit(db, organisation=world.buyer.org_slug, amount_fen=SHARE,
                         reference="bank-2")
    credit_pay.pay(db, bill_id=bill.id, amount_fen=100_000, source="cash",
                   buyer_ids={world.buyer.org_id})
    credit_pay.pay(db, bill_id=bill.id, amount_fen=None, source="cash",
                   buyer_ids={world.buyer.org_id})
    assert (bill.paid_fen, bill.paid_at is not None) == (SHARE, True)
    assert ledger.balance(db, world.line).available == 500_000  # the credit is restored
    assert funds.cash_balance(db, world.buyer.org_slug).available == 0
    assert verify(db).ok, verify(db).problem


def test_a_contract_over_the_limit_is_refused_by_the_ledger(db: Session) -> None:
    world = setting_up(db, limit_fen=SHARE - 1, cash_fen=10_000_000)
    with pytest.raises(InsufficientFunds) as caught, db.begin_nested():
        world.buy(db)  # the request's transaction leaves nothing behind
    assert caught.value.status == 409 and caught.value.field == "credit_limit_cny"
    assert db.execute(select(func.count()).select_from(Contract)).scalar_one() == 0
    assert ledger.balance(db, world.line).available == SHARE - 1
    credit.grant(db, program=world.program, organisation=world.buyer.org_slug,
                 limit_fen=SHARE, due_days=15, user_id=None)
    world.buy(db)  # exactly the limit
    assert ledger.balance(db, world.line).available == 0
    assert funds.cash_balance(db, world.buyer.org_slug).available == 10_000_000
    with pytest.raises(InsufficientFunds) as lowered:  # the held share is not given back
        credit.grant(db, program=world.program, organisation=world.buyer.org_slug,
                     limit_fen=SHARE - 1, due_days=15, user_id=None)
    assert lowered.value.field == "credit_limit_cny"
    assert verify(db).ok, verify(db).problem


def test_an_unpaid_bill_past_its_due_day_blocks_buying_until_paid(db: Session) -> None:
    world = setting_up(db)
    contract = world.buy(db)
    deliver(db, contract, hours=24)
    service.settle_period(db, period_end=period_of(world.start))
    first = to_shanghai(utcnow()).date().replace(day=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=this_month_end())
    assert bill.amount_fen == SHARE // 2
    assert credit.overdue(db, world.buyer.org_id, now=this_month_end()) == []
    late = period_bounds(bill.due_on + timedelta(days=2))[0]
    with pytest.raises(Conflict) as blocked, db.begin_nested():
        world.buy(db, start=late, hours=4)
    assert blocked.value.field == "credit_bill" and f"{bill.due_on}" in blocked.value.detail
    order = OrderCreate(accelerators=["h20"], gpus=1, duration_hours=4, earliest_start=late,
                        latest_end=late + timedelta(days=1), limit_cny_per_gpu_hour="20.00")
    with pytest.raises(Conflict) as no_order:
        orders_service.place_order(db, data=order, org_ids={world.buyer.org_id}, user_id=None,
                                   now=late - timedelta(hours=1))
    assert no_order.value.field == "credit_bill"
    with pytest.raises(ValidationFailed) as only_platform:
        credit_pay.pay(db, bill_id=bill.id, amount_fen=None, source="bank",
                       buyer_ids={world.buyer.org_id}, reference="pay-1")
    assert only_platform.value.field == "source"
    credit_pay.pay(db, bill_id=bill.id, amount_fen=None, source="bank", buyer_ids=None,
                   reference="bank-transfer-77")
    assert world.buy(db, start=late, hours=4).buyer_org_id == world.buyer.org_id
    assert orders_service.place_order(db, data=order, org_ids={world.buyer.org_id},
                                      user_id=None, now=late - timedelta(hours=1)).id
    assert verify(db).ok, verify(db).problem


def test_without_credit_lines_a_program_grants_none_and_cash_pays(db: Session) -> None:
    world = setting_up(db, limit_fen=None, credit_lines=False, cash_fen=10_000_000)
    with pytest.raises(Conflict) as caught:
        credit.grant(db, program=world.program, organisation=world.buyer.org_slug,
                     limit_fen=100, due_days=15, user_id=None)
    assert caught.value.field == "credit_lines"
    world.buy(db)
    assert funds.cash_balance(db, world.buyer.org_slug).debits_pending == SHARE
    assert credit.credit_account(db, world.buyer.org_id) is None
    assert verify(db).ok, verify(db).problem


def test_a_month_not_yet_ended_and_bad_limits_are_refused(db: Session) -> None:
    world = setting_up(db)
    first = to_shanghai(utcnow()).date().replace(day=1)
    with pytest.raises(ValidationFailed) as early:
        credit_bills.bill_month(db, month=first)
    assert early.value.field == "month"
    for bad in (-1, True):
        with pytest.raises(ValidationFailed) as caught:
            credit.grant(db, program=world.program, organisation=world.buyer.org_slug,
                         limit_fen=bad, due_days=15, user_id=None)  # type: ignore[arg-type]
        assert caught.value.field == "credit_limit_cny"
    with pytest.raises(ValidationFailed) as days:
        credit.grant(db, program=world.program, organisation=world.buyer.org_slug,
                     limit_fen=1, due_days=-1, user_id=None)
    assert days.value.field == "due_days"
    assert verify(db).ok


def test_a_clearing_round_matches_a_credit_buyer_without_cash(db: Session) -> None:
    world = setting_up(db)
    start = next_whole_hour(utcnow()) + timedelta(hours=2)
    offers_service.create_offer(db, org_ids={world.cluster.organisation_id}, data=OfferCreate(
        cluster_id=world.cluster.id, gpus=16, start_at=start, end_at=start + timedelta(days=2),
        ask_cny_per_gpu_hour="10.00"))
    orders_service.place_order(db, data=OrderCreate(
        accelerators=["h20"], gpus=8, duration_hours=4, earliest_start=start,
        latest_end=start + timedelta(days=1), limit_cny_per_gpu_hour="10.00",
        voucher_id=world.voucher.id), org_ids={world.buyer.org_id}, user_id=None)
    rnd = run_round(db, options=Options(start=start, slots=24, time_limit_s=5))
    assert rnd is not None and rnd.contracts_written == 1, rnd and rnd.snapshot
    contract = db.execute(select(Contract)).scalars().one()
    assert contract.buyer_pays_fen > 0
    assert ledger.balance(db, world.line).debits_pending == contract.buyer_pays_fen
    assert verify(db).ok, verify(db).problem


def test_a_reimbursed_buyer_holds_the_whole_cost_on_the_line_and_is_reimbursed_in_cash(
        db: Session) -> None:
    world = setting_up(db, limit_fen=2 * SHARE, redemption_mode=RedemptionMode.BUYER_REIMBURSED)
    contract = world.buy(db)
    assert ledger.balance(db, world.line).available == 0  # the whole cost held on the line
    deliver(db, contract)
    service.settle_period(db, period_end=period_of(contract.end_at - timedelta(seconds=1)))
    payout = ledger.balance(db, f"provider-payout:{world.provider.org_slug}")
    assert payout.credits_posted == 2 * SHARE
    for claim in db.execute(select(Claim)).scalars():
        claims.decide(db, claim_id=claim.id, approve=True, reason=None,
                      authority_ids={world.authority_id}, user_id=None)
    assert funds.cash_balance(db, world.buyer.org_slug).available == SHARE  # the subsidy
    first = to_shanghai(utcnow()).date().replace(day=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=this_month_end())
    assert bill.amount_fen == 2 * SHARE
    assert verify(db).ok, verify(db).problem


def test_late_usage_is_charged_to_the_line_and_billed(db: Session) -> None:
    world = setting_up(db)
    contract = world.buy(db)
    deliver(db, contract, hours=24)
    service.settle_period(db, period_end=period_of(contract.end_at - timedelta(seconds=1)))
    line = json.dumps({"contract_id": contract.id, "ref": "late", "gpus": 8,
                       "start": (world.start + timedelta(hours=24)).isoformat(),
                       "end": (world.start + timedelta(hours=36)).isoformat()})
    assert not import_in(db, lines=[line], fmt=Format.JSON, reporter=ANY).rejected
    run = service.settle_period(db, period_end=period_of(contract.end_at))
    assert (run.adjusted, run.charge_fen) == (1, 96_000)
    late = ledger.balance(db, world.line)
    assert (late.debits_posted, late.debits_pending) == (SHARE // 2 + 48_000, 0)
    assert funds.cash_balance(db, world.buyer.org_slug).posted == 0  # nothing from cash
    first = to_shanghai(utcnow()).date().replace(day=1)
    (bill,) = credit_bills.bill_month(db, month=first, now=this_month_end())
    assert bill.amount_fen == SHARE // 2 + 48_000
    assert verify(db).ok, verify(db).problem
