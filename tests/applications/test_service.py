"""Applications: every step of their life, and every refusal with the rule that forbade it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from suanli.applications import repository, review, service
from suanli.applications.errors import (
    DuplicateApplication,
    OutsideWindow,
    SecondSubsidyForbidden,
    YearlyCapExceeded,
)
from suanli.applications.models import Application
from suanli.applications.states import ApplicationStatus as S
from suanli.applications.states import InvalidTransition
from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.programs import service as programs
from suanli.programs.errors import BudgetExhausted, ProgramNotOpen
from suanli.programs.models import Program
from suanli.vouchers import service as vouchers
from tests.programs.factory import MILLION, make_program, passing_profile


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


def apply(db: Session, program: Program, org: Organisation, profile: dict[str, Any] | None,
          requested: int | None = None) -> Application:
    if profile is not None:
        service.save_profile(db, organisation_id=org.id, values=profile, user_id=None)
    application = service.create(db, program=program, organisation_id=org.id, user_id=None,
                                 requested_value_fen=requested)
    return service.submit(db, application=application, user_id=None)


def steps(db: Session, application: Application) -> list[str]:
    return [str(e.to_status) for e in repository.events(db, application.id)]


def test_passing_rules_approve_and_issue_the_default_value(db: Session, program: Program,
                                                          startup: Organisation) -> None:
    application = apply(db, program, startup, passing_profile())
    assert application.status == S.VOUCHER_ISSUED
    assert steps(db, application) == ["draft", "submitted", "auto_approved", "voucher_issued"]
    assert application.open_slot is None
    voucher = vouchers.get(db, application.voucher_id or 0)
    assert voucher.face_value_fen == program.default_value_fen == MILLION
    assert voucher.holder_org_id == startup.id and voucher.application_id == application.id
    assert programs.available_fen(db, program) == 9 * MILLION
    assert application.evaluation is not None and application.evaluation["outcome"] == "pass"
    assert application.profile is not None
    assert application.profile["annual_revenue_fen"] == 8 * MILLION


def test_asking_for_more_than_the_default_goes_to_a_reviewer(db: Session, program: Program,
                                                             startup: Organisation) -> None:
    application = apply(db, program, startup, passing_profile(), requested=2 * MILLION)
    assert application.status == S.NEEDS_REVIEW
    assert application.voucher_id is None


def test_a_missing_fact_needs_review_then_the_reviewer_approves(
        db: Session, program: Program, startup: Organisation, authority: Organisation) -> None:
    application = apply(db, program, startup, passing_profile(credit_record=None))
    assert application.status == S.NEEDS_REVIEW
    assert "Credit record is not given" in (
        repository.events(db, application.id)[-1].reason or "")
    with pytest.raises(ValidationFailed) as caught:
        review.decide(db, application_id=application.id, approve=True, reason="checked",
                      value_fen=3 * MILLION, user_id=None, authority_ids={authority.id})
    assert caught.value.field == "value_cny"
    with pytest.raises(ValidationFailed) as caught:
        review.decide(db, application_id=application.id, approve=True, reason="  ",
                      value_fen=MILLION, user_id=None, authority_ids={authority.id})
    assert caught.value.field == "reason"
    decided = review.decide(db, application_id=application.id, approve=True,
                            reason="credit report checked", value_fen=1_500_000_00,
                            user_id=None, authority_ids={authority.id})
    assert decided.status == S.VOUCHER_ISSUED
    assert steps(db, decided) == ["draft", "submitted", "needs_review", "approved",
                                  "voucher_issued"]
    assert vouchers.get(db, decided.voucher_id or 0).face_value_fen == 1_500_000_00
    assert decided.decision_reason == "credit report checked"


def test_a_reviewer_rejects_with_a_reason(db: Session, program: Program,
                                          startup: Organisation,
                                          authority: Organisation) -> None:
    application = apply(db, program, startup, passing_profile(credit_record=None))
    decided = review.decide(db, application_id=application.id, approve=False,
                            reason="no credit report", value_fen=None, user_id=None,
                            authority_ids={authority.id})
    assert decided.status == S.REJECTED and decided.open_slot is None
    with pytest.raises(InvalidTransition):
        review.decide(db, application_id=application.id, approve=True, reason="changed mind",
                      value_fen=MILLION, user_id=None, authority_ids={authority.id})


def test_another_authoritys_reviewer_cannot_decide(db: Session, program: Program,
                                                   startup: Organisation) -> None:
    application = apply(db, program, startup, passing_profile(credit_record=None))
    with pytest.raises(NotFound):
        review.decide(db, application_id=application.id, approve=True, reason="x",
                      value_fen=MILLION, user_id=None, authority_ids={999_999})


def test_failing_rules_reject_with_the_sentences(db: Session, program: Program,
                                                 startup: Organisation) -> None:
    application = apply(db, program, startup,
                        passing_profile(annual_revenue_fen=320_000_000,
                                        research_project_member=False))
    assert application.status == S.REJECTED
    reason = repository.events(db, application.id)[-1].reason or ""
    assert "Annual revenue 3.2 m CNY is below the required 5 m CNY" in reason
    # A rejected application does not block a new one.
    again = service.create(db, program=program, organisation_id=startup.id, user_id=None)
    assert again.status == S.DRAFT


def test_steps_out_of_order_are_refused(db: Session, program: Program,
                                        startup: Organisation,
                                        authority: Organisation) -> None:
    application = apply(db, program, startup, passing_profile())
    with pytest.raises(InvalidTransition):
        service.submit(db, application=application, user_id=None)
    draft = service.create(db, program=program, organisation_id=startup.id, user_id=None,
                           requested_value_fen=MILLION)
    with pytest.raises(InvalidTransition):
        review.decide(db, application_id=draft.id, approve=True, reason="x",
                      value_fen=MILLION, user_id=None, authority_ids={authority.id})


def test_submitting_without_a_profile_names_it(db: Session, program: Program,
                                               startup: Organisation) -> None:
    application = service.create(db, program=program, organisation_id=startup.id,
                                 user_id=None)
    with pytest.raises(ValidationFailed) as caught:
        service.submit(db, application=application, user_id=None)
    assert caught.value.field == "profile"


def test_a_duplicate_is_refused_with_its_rule(db: Session, program: Program,
                                              startup: Organisation) -> None:
    first = service.create(db, program=program, organisation_id=startup.id, user_id=None)
    with pytest.raises(DuplicateApplication) as caught:
        service.create(db, program=program, organisation_id=startup.id, user_id=None)
    assert caught.value.extra["rule"] == "duplicate"
    assert caught.value.extra["application_id"] == first.id
    assert caught.value.problem()["rule"] == "duplicate"


def test_outside_the_window_or_unpublished_is_refused(db: Session, authority: Organisation,
                                                      startup: Organisation) -> None:
    now = utcnow()
    later = make_program(db, authority.id, window_opens_at=now + timedelta(days=2),
                         window_closes_at=now + timedelta(days=9))
    with pytest.raises(OutsideWindow) as caught:
        service.create(db, program=later, organisation_id=startup.id, user_id=None)
    assert caught.value.extra["rule"] == "window" and caught.value.field == "program_id"
    draft = make_program(db, authority.id, publish=False)
    with pytest.raises(ProgramNotOpen):
        service.create(db, program=draft, organisation_id=startup.id, user_id=None)
    # A draft started inside the window cannot be submitted after it closed.
    program = make_program(db, authority.id)
    service.save_profile(db, organisation_id=startup.id, values=passing_profile(),
                         user_id=None)
    application = service.create(db, program=program, organisation_id=startup.id,
                                 user_id=None)
    with pytest.raises(OutsideWindow):
        service.submit(db, application=application, user_id=None, now=now + timedelta(days=40))
    assert application.status == S.DRAFT


def test_the_yearly_cap_per_firm_is_enforced(db: Session, program: Program,
                                             startup: Organisation,
                                             authority: Organisation) -> None:
    first = apply(db, program, startup, passing_profile(credit_record=None))
    review.decide(db, application_id=first.id, approve=True, reason="ok",
                  value_fen=1_500_000_00, user_id=None, authority_ids={authority.id})
    with pytest.raises(YearlyCapExceeded) as caught:
        service.create(db, program=program, organisation_id=startup.id, user_id=None)
    assert caught.value.extra["rule"] == "cap_per_firm"
    assert caught.value.field == "requested_value_cny"
    assert "2,000,000.00" in caught.value.detail


def test_a_second_subsidy_is_refused_where_the_program_forbids_it(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    strict = make_program(db, authority.id, forbid_other_subsidies=True, name="Strict")
    service.save_profile(db, organisation_id=startup.id,
                         values=passing_profile(other_subsidies=["district rent subsidy"]),
                         user_id=None)
    with pytest.raises(SecondSubsidyForbidden) as caught:
        service.create(db, program=strict, organisation_id=startup.id, user_id=None)
    assert caught.value.extra["rule"] == "forbid_other_subsidies"
    assert "district rent subsidy" in caught.value.detail
    # Holding a live voucher of another program counts too.
    other = make_program(db, authority.id, name="Other")
    apply(db, other, startup, passing_profile())
    with pytest.raises(SecondSubsidyForbidden, match="voucher"):
        service.create(db, program=strict, organisation_id=startup.id, user_id=None)


def test_auto_approval_waits_for_budget_and_is_issued_when_budget_is_added(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = make_program(db, authority.id, budget_fen=2 * MILLION)
    rival = auth_service.create_organisation(db, slug="rival", name="Rival",
                                             kind=OrgKind.STARTUP)
    apply(db, program, rival, passing_profile(credit_record=None), requested=2 * MILLION)
    first = repository.open_of(db, program_id=program.id, organisation_id=rival.id)
    assert first is not None
    review.decide(db, application_id=first.id, approve=True, reason="ok",
                  value_fen=2 * MILLION, user_id=None, authority_ids={authority.id})
    waiting = apply(db, program, startup, passing_profile())
    assert waiting.status == S.AUTO_APPROVED and waiting.voucher_id is None
    with pytest.raises(BudgetExhausted), db.begin_nested():
        review.issue_pending(db, application_id=waiting.id, user_id=None,
                             authority_ids={authority.id})
    programs.fund(db, program=program, amount_fen=MILLION, user_id=None)
    assert waiting.status == S.VOUCHER_ISSUED and waiting.voucher_id is not None
    assert ledger.balance(db, program.budget_account).available == 0
    with pytest.raises(Conflict), db.begin_nested():
        review.issue_pending(db, application_id=waiting.id, user_id=None,
                             authority_ids={authority.id})


def test_waiting_approvals_are_tried_oldest_first_and_a_smaller_later_one_may_go(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = make_program(db, authority.id, budget_fen=2 * MILLION, auto_approve=False,
                           cap_per_firm_fen=None)
    others = [auth_service.create_organisation(db, slug=f"rival-{n}", name=f"Rival {n}",
                                               kind=OrgKind.STARTUP) for n in range(2)]
    first, older, newer = (apply(db, program, org, passing_profile())
                           for org in (others[0], startup, others[1]))
    for application, value in ((first, 2 * MILLION), (older, 2 * MILLION), (newer, MILLION)):
        review.decide(db, application_id=application.id, approve=True, reason="ok",
                      value_fen=value, user_id=None, authority_ids={authority.id})
    assert first.status == S.VOUCHER_ISSUED
    assert (older.status, newer.status) == (S.APPROVED, S.APPROVED)
    # the older one does not fit 1 m; the newer, smaller one does and is not held behind it
    programs.fund(db, program=program, amount_fen=MILLION, user_id=None)
    assert (older.status, newer.status) == (S.APPROVED, S.VOUCHER_ISSUED)
    programs.fund(db, program=program, amount_fen=MILLION, user_id=None)
    assert older.status == S.APPROVED
    programs.fund(db, program=program, amount_fen=MILLION, user_id=None)
    assert older.status == S.VOUCHER_ISSUED
    assert ledger.balance(db, program.budget_account).available == 0
