"""Vouchers: issuance through the ledger, balances, expiry (twice), clawback, terms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.audit.models import AuditRecord
from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs import service as programs
from suanli.programs.enums import ProviderMode
from suanli.programs.errors import BudgetExhausted
from suanli.programs.models import Program
from suanli.vouchers import repository, service
from suanli.vouchers.models import ReturnKind, VoucherStatus
from suanli.vouchers.terms import voucher_terms
from tests.programs.factory import MILLION, make_program


@pytest.fixture
def authority(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="sh-bureau", name="Bureau",
                                            kind=OrgKind.AUTHORITY)


@pytest.fixture
def startup(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="acme", name="Acme", kind=OrgKind.STARTUP)


@pytest.fixture
def program(db: Session, authority: Organisation) -> Program:
    return make_program(db, authority.id)


def test_issuing_moves_the_value_from_the_budget_to_the_voucher(
        db: Session, program: Program, startup: Organisation) -> None:
    voucher = service.issue(db, program=program, holder_org_id=startup.id,
                            value_fen=1_200_000_00, application_id=None, user_id=None)
    assert service.balance(db, voucher) == service.VoucherBalance(
        face_value=1_200_000_00, available=1_200_000_00, held=0, spent=0, returned=0)
    assert programs.available_fen(db, program) == 10 * MILLION - 1_200_000_00
    account = ledger.get_account(db, voucher.account_code)
    assert account.owner_org_id == startup.id and account.debits_must_not_exceed_credits
    assert (voucher.rate_state_bp, voucher.rate_commercial_bp) == (5000, 3000)
    assert voucher.valid_until - voucher.valid_from == timedelta(days=365)
    assert verify(db).ok


def test_a_value_outside_the_range_or_the_budget_is_refused(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = make_program(db, authority.id, budget_fen=2 * MILLION)
    with pytest.raises(ValidationFailed) as caught:
        service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION - 1,
                      application_id=None, user_id=None)
    assert caught.value.field == "value_cny"
    service.issue(db, program=program, holder_org_id=startup.id, value_fen=1_500_000_00,
                  application_id=None, user_id=None)
    with pytest.raises(BudgetExhausted) as exhausted:
        service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                      application_id=None, user_id=None)
    assert exhausted.value.field == "value_cny"
    assert len(repository.vouchers(db, program_ids=[program.id])) == 1


def test_spending_and_holds_show_in_the_balance(db: Session, program: Program,
                                                startup: Organisation) -> None:
    voucher = service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                            application_id=None, user_id=None)
    ledger.open_account(db, code="receivable:dc", kind=ledger.AccountKind.PROVIDER_RECEIVABLE,
                        owner_org_id=None, name="dc")
    ledger.transfer(db, id="spend-1", debit=voucher.account_code, credit="receivable:dc",
                    amount=30_000_00, reason="contract")
    ledger.hold(db, id="hold-1", debit=voucher.account_code, credit="receivable:dc",
                amount=20_000_00, reason="contract")
    assert service.balance(db, voucher) == service.VoucherBalance(
        MILLION, MILLION - 50_000_00, 20_000_00, 30_000_00, 0)


def test_expiry_returns_the_unspent_balance_and_is_safe_twice(
        db: Session, program: Program, startup: Organisation) -> None:
    past = utcnow() - timedelta(days=400)
    old = service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                        application_id=None, user_id=None, now=past)
    fresh = service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                          application_id=None, user_id=None)
    ledger.open_account(db, code="receivable:dc", kind=ledger.AccountKind.PROVIDER_RECEIVABLE,
                        owner_org_id=None, name="dc")
    ledger.transfer(db, id="spend-old", debit=old.account_code, credit="receivable:dc",
                    amount=250_000_00, reason="contract", now=past + timedelta(days=1))
    first = service.expire_due(db)
    assert (first.expired, first.returned_fen) == (1, 750_000_00)
    second = service.expire_due(db)
    assert (second.expired, second.returned_fen) == (0, 0)
    assert old.status == VoucherStatus.EXPIRED and fresh.status == VoucherStatus.ACTIVE
    assert service.balance(db, old) == service.VoucherBalance(MILLION, 0, 0, 250_000_00,
                                                              750_000_00)
    assert programs.available_fen(db, program) == 10 * MILLION - 2 * MILLION + 750_000_00
    (back,) = repository.returns_of(db, old.id)
    assert (back.kind, back.transfer_id) == (ReturnKind.EXPIRY, f"voucher-expire:{old.id}")
    assert verify(db).ok


def test_money_held_at_expiry_returns_once_the_hold_is_released(
        db: Session, program: Program, startup: Organisation) -> None:
    past = utcnow() - timedelta(days=400)
    voucher = service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                            application_id=None, user_id=None, now=past)
    ledger.open_account(db, code="receivable:dc", kind=ledger.AccountKind.PROVIDER_RECEIVABLE,
                        owner_org_id=None, name="dc")
    ledger.hold(db, id="hold-x", debit=voucher.account_code, credit="receivable:dc",
                amount=100_000_00, reason="contract")
    report = service.expire_due(db)
    assert report.returned_fen == 900_000_00 and voucher.residual
    assert service.expire_due(db).residual_returned_fen == 0  # still held: nothing yet
    ledger.post(db, id="post-x", pending_id="hold-x", amount=40_000_00)
    report = service.expire_due(db)
    assert report.residual_returned_fen == 60_000_00 and not voucher.residual
    assert service.balance(db, voucher) == service.VoucherBalance(
        MILLION, 0, 0, 40_000_00, 960_000_00)
    assert service.expire_due(db) == service.SweepReport(0, 0, 0)
    assert verify(db).ok


def test_clawback_returns_the_money_with_an_audited_reason(
        db: Session, program: Program, startup: Organisation) -> None:
    voucher = service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                            application_id=None, user_id=None)
    with pytest.raises(ValidationFailed) as caught:
        service.clawback(db, voucher_id=voucher.id, reason=" ", user_id=None)
    assert caught.value.field == "reason"
    service.clawback(db, voucher_id=voucher.id, reason="forged revenue figures", user_id=None)
    assert voucher.status == VoucherStatus.CLAWED_BACK
    assert voucher.close_reason == "forged revenue figures"
    assert service.balance(db, voucher).returned == MILLION
    assert programs.available_fen(db, program) == 10 * MILLION
    with pytest.raises(Conflict):
        service.clawback(db, voucher_id=voucher.id, reason="again", user_id=None)
    audit.write_pending(db)
    record = db.execute(select(AuditRecord).where(
        AuditRecord.action == "voucher.clawback")).scalar_one()
    assert record.after is not None and record.after["reason"] == "forged revenue figures"
    assert service.expire_due(db, now=utcnow() + timedelta(days=400)).expired == 0


def test_terms_take_the_clearing_snapshot_shape(db: Session, authority: Organisation,
                                                startup: Organisation) -> None:
    listed = make_program(db, authority.id, provider_mode=ProviderMode.LIST,
                          provider_slugs=["qingyang-state-dc", "yrd-dc"], max_rate_bp=5500)
    voucher = service.issue(db, program=listed, holder_org_id=startup.id, value_fen=MILLION,
                            application_id=None, user_id=None)
    assert voucher_terms(voucher, holder="acme", balance_fen=MILLION) == {
        "id": f"v-{voucher.id}", "holder": "acme", "balance_cny": "1000000.00",
        "rate": {"state": "0.50", "commercial": "0.30"}, "domestic_bonus": "0.10",
        "max_rate": "0.55", "providers": ["qingyang-state-dc", "yrd-dc"]}
    state = make_program(db, authority.id, provider_mode=ProviderMode.STATE_ONLY)
    only = service.issue(db, program=state, holder_org_id=startup.id, value_fen=MILLION,
                         application_id=None, user_id=None)
    with pytest.raises(ValueError, match="state-run"):
        voucher_terms(only)
    assert voucher_terms(only, state_provider_slugs=["b", "a"])["providers"] == ["a", "b"]
    anywhere = make_program(db, authority.id)
    free = service.issue(db, program=anywhere, holder_org_id=startup.id, value_fen=MILLION,
                         application_id=None, user_id=None)
    assert voucher_terms(free)["providers"] is None
