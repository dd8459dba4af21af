"""Programs: settings checked together, budgets funded through the ledger, status, presets."""

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
from suanli.kit.errors import AppError, Conflict, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.programs import presets, repository, service
from suanli.programs.enums import ProgramStatus
from suanli.programs.errors import BudgetExhausted
from tests.programs.factory import MILLION, make_program, settings


@pytest.fixture
def authority(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="sh-bureau", name="Bureau",
                                            kind=OrgKind.AUTHORITY)


def test_creating_a_program_funds_its_budget_from_the_treasury(db: Session,
                                                                authority: Organisation) -> None:
    program = make_program(db, authority.id, publish=False)
    budget = ledger.balance(db, program.budget_account)
    assert budget.available == 10 * MILLION == program.budget_fen
    assert ledger.balance(db, "treasury:sh-bureau").posted == -10 * MILLION
    assert ledger.get_account(db, program.budget_account).debits_must_not_exceed_credits
    (funding,) = repository.fundings(db, program.id)
    assert funding.transfer_id == f"program-fund:{program.id}:1"
    assert program.status == ProgramStatus.DRAFT


def test_a_new_budget_moves_the_difference(db: Session, authority: Organisation) -> None:
    program = make_program(db, authority.id)
    service.update(db, program=program, changes={"budget_fen": 12 * MILLION}, user_id=None)
    service.update(db, program=program, changes={"budget_fen": 9 * MILLION}, user_id=None)
    assert ledger.balance(db, program.budget_account).available == 9 * MILLION
    assert [f.amount_fen for f in repository.fundings(db, program.id)] == [
        10 * MILLION, 2 * MILLION, -3 * MILLION]
    audit.write_pending(db)
    actions = db.execute(select(AuditRecord.action).where(
        AuditRecord.object_type == "program", AuditRecord.object_id == str(program.id))
    ).scalars().all()
    assert actions.count("program.fund") == 3 and "program.update" in actions


def test_returning_more_budget_than_is_left_is_refused(db: Session,
                                                       authority: Organisation) -> None:
    program = make_program(db, authority.id)
    with pytest.raises(BudgetExhausted) as caught, db.begin_nested():
        service.fund(db, program=program, amount_fen=-11 * MILLION, user_id=None)
    assert caught.value.field == "budget_cny"
    db.refresh(program)
    assert program.budget_fen == 10 * MILLION
    assert ledger.balance(db, program.budget_account).available == 10 * MILLION
    with pytest.raises(ValidationFailed, match="zero"):
        service.fund(db, program=program, amount_fen=0, user_id=None)


@pytest.mark.parametrize(("over", "field"), [
    ({"voucher_max_fen": 20 * MILLION}, "voucher_max_cny"),
    ({"voucher_min_fen": 3 * MILLION}, "voucher_max_cny"),
    ({"default_value_fen": 5 * MILLION}, "default_value_cny"),
    ({"cap_per_firm_fen": MILLION // 2}, "cap_per_firm_cny"),
    ({"budget_fen": 0}, "budget_cny"),
    ({"rate_state_bp": 10_001}, "rates.state"),
    ({"city": "atlantis"}, "city"),
    ({"validity_days": 0}, "validity_days"),
    ({"provider_mode": "list"}, "provider_slugs"),
    ({"provider_slugs": ["Bad Slug"]}, "provider_slugs[0]"),
    ({"rules": {"all": [{"field": "headcount", "op": "gt", "value": 5},
                        {"field": "headcount", "op": "lt", "value": 3}]}},
     "rules.all[1].value"),
    ({"rules": {"all": [{"field": "revenue", "op": "ge", "value": 1}]}}, "rules.all[0].field"),
])
def test_settings_that_contradict_each_other_are_refused(
        db: Session, authority: Organisation, over: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create(db, authority_org_id=authority.id, data=settings(**over), user_id=None)
    assert caught.value.field == field
    assert repository.programs(db, authority_ids=[authority.id], public=False) == []


def test_a_window_that_closes_before_it_opens_is_refused(db: Session,
                                                         authority: Organisation) -> None:
    now = utcnow()
    with pytest.raises(ValidationFailed) as caught:
        service.create(db, authority_org_id=authority.id, user_id=None,
                       data=settings(window_opens_at=now, window_closes_at=now))
    assert caught.value.field == "window_closes_at"


def test_only_an_authority_runs_programs(db: Session) -> None:
    startup = auth_service.create_organisation(db, slug="st", name="St", kind=OrgKind.STARTUP)
    with pytest.raises(ValidationFailed) as caught:
        service.create(db, authority_org_id=startup.id, data=settings(), user_id=None)
    assert caught.value.field == "authority_org_id"


def test_status_moves_forward_only(db: Session, authority: Organisation) -> None:
    program = make_program(db, authority.id, publish=False)
    service.set_status(db, program=program, status=ProgramStatus.PUBLISHED)
    with pytest.raises(Conflict, match="city and year"):
        service.update(db, program=program, changes={"city": "beijing"}, user_id=None)
    service.update(db, program=program, changes={"name": "Renamed"}, user_id=None)
    service.set_status(db, program=program, status=ProgramStatus.CLOSED)
    with pytest.raises(Conflict):
        service.set_status(db, program=program, status=ProgramStatus.PUBLISHED)
    with pytest.raises(Conflict):
        service.fund(db, program=program, amount_fen=MILLION, user_id=None)


def test_unknown_settings_are_refused(db: Session, authority: Organisation) -> None:
    program = make_program(db, authority.id)
    with pytest.raises(AppError) as caught:
        service.update(db, program=program, changes={"colour": "red"}, user_id=None)
    assert caught.value.field == "colour"


def test_presets_cover_seventeen_cities_with_sources(db: Session,
                                                    authority: Organisation) -> None:
    found = presets.all_presets()
    assert len({p.city for p in found}) >= 17
    published = [p for p in found if p.published]
    assert {p.key for p in published} >= {"beijing", "shanghai", "shenzhen", "hangzhou"}
    assert all(p.source for p in found)
    shanghai = presets.get("shanghai")
    assert shanghai is not None and shanghai.values["budget_fen"] == 600_000_000_00
    assert "budget_fen" not in shanghai.values["illustrative_fields"]
    assert "rules" in shanghai.values["illustrative_fields"]
    assert all(not p.published and p.values["illustrative"] for p in found
               if p.key in {"suzhou", "wuhan"})
    for preset in found:  # every preset is a valid program
        program = service.create_from_preset(db, authority_org_id=authority.id, key=preset.key,
                                             opens_at=utcnow() - timedelta(days=1),
                                             user_id=None)
        assert program.preset_key == preset.key
        assert program.illustrative is not preset.published
    with pytest.raises(ValidationFailed) as caught:
        service.create_from_preset(db, authority_org_id=authority.id, key="atlantis",
                                   opens_at=utcnow(), user_id=None)
    assert caught.value.field == "preset"
