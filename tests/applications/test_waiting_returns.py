"""Applications waiting for budget are issued when money comes back to it: a voucher's
expiry or clawback, not only a funding (and the ledger verifies after each)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from suanli.applications import review
from suanli.applications.models import Application
from suanli.applications.states import ApplicationStatus as S
from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs.models import Program
from suanli.vouchers import service as vouchers
from tests.applications.test_service import apply, authority, startup
from tests.programs.factory import MILLION, make_program, passing_profile

__all__ = ["authority", "startup"]


def approved(db: Session, program: Program, authority: Organisation, slug: str,
             value: int) -> Application:
    org = auth_service.create_organisation(db, slug=slug, name=slug.title(),
                                           kind=OrgKind.STARTUP)
    application = apply(db, program, org, passing_profile())
    review.decide(db, application_id=application.id, approve=True, reason="ok",
                  value_fen=value, user_id=None, authority_ids={authority.id})
    return application


def test_a_clawback_issues_the_vouchers_that_waited(db: Session,
                                                    authority: Organisation) -> None:
    program = make_program(db, authority.id, budget_fen=2 * MILLION, auto_approve=False,
                           cap_per_firm_fen=None)
    first = approved(db, program, authority, "first", 2 * MILLION)
    big = approved(db, program, authority, "big", 2 * MILLION)
    small = approved(db, program, authority, "small", MILLION)
    assert (first.status, big.status, small.status) == (
        S.VOUCHER_ISSUED, S.APPROVED, S.APPROVED)
    assert first.voucher_id is not None
    voucher = vouchers.get(db, first.voucher_id)
    ledger.open_account(db, code="spent", kind=ledger.AccountKind.PROVIDER_PAYOUT,
                        owner_org_id=None, name="spent")
    ledger.transfer(db, id="spend", debit=voucher.account_code, credit="spent",
                    amount=MILLION // 2, reason="claim")
    vouchers.clawback(db, voucher_id=voucher.id, reason="fraud", user_id=None)
    # 1.5 m came back: the older 2 m one still does not fit, the 1 m one does
    assert (big.status, small.status) == (S.APPROVED, S.VOUCHER_ISSUED)
    assert ledger.balance(db, program.budget_account).available == MILLION // 2
    assert verify(db).ok


def test_expiry_issues_the_vouchers_that_waited(db: Session, authority: Organisation) -> None:
    program = make_program(db, authority.id, budget_fen=2 * MILLION, auto_approve=False,
                           cap_per_firm_fen=None, validity_days=1)
    first = approved(db, program, authority, "first", 2 * MILLION)
    waiting = approved(db, program, authority, "waiting", 2 * MILLION)
    assert waiting.status == S.APPROVED and first.voucher_id is not None
    voucher = vouchers.get(db, first.voucher_id)
    report = vouchers.expire_due(db, now=voucher.valid_until + timedelta(seconds=1))
    assert report.returned_fen == 2 * MILLION
    assert waiting.status == S.VOUCHER_ISSUED
    assert ledger.balance(db, program.budget_account).available == 0
    assert verify(db).ok
