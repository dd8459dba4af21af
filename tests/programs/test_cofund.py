"""Co-funded programs: funding, issuing and returns split across the funders' ledger
accounts by share, exact to the fen; a program without funders is unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs import repository, service, views
from suanli.programs.enums import ProgramStatus
from suanli.programs.errors import BudgetExhausted
from suanli.vouchers import service as vouchers
from suanli.vouchers import totals
from tests.programs.factory import MILLION, make_program

HENAN: list[dict[str, Any]] = [
    {"name": "Henan Province", "label": "province", "share": "0.5"},
    {"name": "Zhengzhou City", "label": "city", "share": "0.5"}]
THIRDS: list[dict[str, Any]] = [
    {"name": "A", "share": "0.3333"}, {"name": "B", "share": "0.3333"},
    {"name": "C", "share": "0.3334"}]


@pytest.fixture(autouse=True)
def _totals() -> None:
    totals.register()  # what the app does at start-up


@pytest.fixture
def authority(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="ha-bureau", name="Bureau",
                                            kind=OrgKind.AUTHORITY)


@pytest.fixture
def startup(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="acme", name="Acme", kind=OrgKind.STARTUP)


def funder_balances(db: Session, program_id: int, n: int) -> list[int]:
    return [ledger.balance(db, f"program-funder:{program_id}:{i}").available
            for i in range(1, n + 1)]


def test_funding_splits_across_the_funders_accounts(db: Session,
                                                    authority: Organisation) -> None:
    program = make_program(db, authority.id, funders=HENAN, budget_fen=10 * MILLION + 1)
    assert funder_balances(db, program.id, 2) == [5 * MILLION + 1, 5 * MILLION]
    assert ledger.balance(db, program.budget_account).posted == 0
    assert service.available_fen(db, program) == 10 * MILLION + 1
    assert ledger.balance(db, "treasury:ha-bureau").posted == -(10 * MILLION + 1)
    service.fund(db, program=program, amount_fen=-3, user_id=None, reason="back")
    assert funder_balances(db, program.id, 2) == [5 * MILLION - 1, 5 * MILLION - 1]
    assert verify(db).ok


def test_issuing_and_clawback_split_and_every_fen_comes_back(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = make_program(db, authority.id, funders=THIRDS)
    voucher = vouchers.issue(db, program=program, holder_org_id=startup.id,
                             value_fen=MILLION + 1, application_id=None, user_id=None)
    # 1,000,000.01 CNY by 0.3333/0.3333/0.3334: the odd fen goes to the largest remainder.
    assert funder_balances(db, program.id, 3) == [
        333_300_000 - 33_330_000, 333_300_000 - 33_330_000, 333_400_000 - 33_340_001]
    assert vouchers.balance(db, voucher).available == MILLION + 1
    vouchers.clawback(db, voucher_id=voucher.id, reason="fraud", user_id=None)
    assert funder_balances(db, program.id, 3) == [
        10 * MILLION * 3333 // 10_000, 10 * MILLION * 3333 // 10_000,
        10 * MILLION * 3334 // 10_000]
    assert verify(db).ok


def test_expiry_returns_each_funder_its_part(db: Session, authority: Organisation,
                                             startup: Organisation) -> None:
    program = make_program(db, authority.id, funders=HENAN, validity_days=1)
    voucher = vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                             application_id=None, user_id=None)
    assert funder_balances(db, program.id, 2) == [4 * MILLION + MILLION // 2] * 2
    report = vouchers.expire_due(db, now=voucher.valid_until + timedelta(seconds=1))
    assert report.returned_fen == MILLION
    assert funder_balances(db, program.id, 2) == [5 * MILLION] * 2
    (view,) = views.budgets(db, [program])
    assert [(f.funded, f.unissued, f.committed, f.paid) for f in view.funders] == [
        (5 * MILLION, 5 * MILLION, 0, 0)] * 2
    assert verify(db).ok


def test_a_funder_short_of_its_part_stops_the_voucher(db: Session, authority: Organisation,
                                                      startup: Organisation) -> None:
    program = make_program(db, authority.id, funders=HENAN, budget_fen=2 * MILLION)
    # Take one funder's money out behind the program's back: the other's half is not enough.
    ledger.transfer(db, id="drain", debit=f"program-funder:{program.id}:1",
                    credit="treasury:ha-bureau", amount=MILLION, reason="test")
    assert not vouchers.can_issue(db, program, 2 * MILLION)
    with pytest.raises(BudgetExhausted), db.begin_nested():
        vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=2 * MILLION,
                       application_id=None, user_id=None)
    assert funder_balances(db, program.id, 2) == [0, MILLION]
    assert verify(db).ok


def test_funders_are_fixed_once_created_but_may_be_renamed(db: Session,
                                                           authority: Organisation) -> None:
    program = make_program(db, authority.id, funders=HENAN)
    renamed = [{**HENAN[0], "name": "Henan Finance Dept."}, HENAN[1]]
    service.update(db, program=program, changes={"funders": renamed}, user_id=None)
    assert program.funders[0]["name"] == "Henan Finance Dept."
    for changed in ([], [{**HENAN[0], "share": "0.6"}, {**HENAN[1], "share": "0.4"}]):
        with pytest.raises(Conflict) as caught, db.begin_nested():
            service.update(db, program=program, changes={"funders": changed}, user_id=None)
        assert caught.value.field == "funders"
    plain = make_program(db, authority.id)
    with pytest.raises(Conflict), db.begin_nested():
        service.update(db, program=plain, changes={"funders": HENAN}, user_id=None)
    assert verify(db).ok


@pytest.mark.parametrize(("funders", "field"), [
    ([{"name": "A", "share": "0.5"}, {"name": "B", "share": "0.49"}], "funders"),
    ([{"name": "A", "share": "0"}, {"name": "B", "share": "1"}], "funders[0].share"),
    ([{"name": "A", "share": "1.01"}, {"name": "B", "share": "0"}], "funders[0].share"),
])
def test_bad_shares_are_refused_and_nothing_is_written(
        db: Session, authority: Organisation, funders: list[dict[str, Any]],
        field: str) -> None:
    with pytest.raises(ValidationFailed) as caught, db.begin_nested():
        make_program(db, authority.id, funders=funders)
    assert caught.value.field == field
    assert repository.programs(db, authority_ids=None, public=False) == []


def test_tranches_and_funders_together_are_refused(db: Session,
                                                   authority: Organisation) -> None:
    plan = [{"share": "0.5", "milestone": "at issue"}, {"share": "0.5", "milestone": "later"}]
    with pytest.raises(ValidationFailed) as caught, db.begin_nested():
        make_program(db, authority.id, funders=HENAN, tranches=plan)
    assert caught.value.field == "funders"


def test_a_program_without_funders_keeps_one_budget(db: Session, authority: Organisation,
                                                    startup: Organisation) -> None:
    program = make_program(db, authority.id)
    vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                   application_id=None, user_id=None)
    assert ledger.balance(db, program.budget_account).available == 9 * MILLION
    assert views.budgets(db, [program])[0].funders == []
    assert verify(db).ok


def test_the_henan_preset_is_co_funded_one_to_one(db: Session, authority: Organisation,
                                                  startup: Organisation) -> None:
    program = service.create_from_preset(db, authority_org_id=authority.id, key="henan",
                                         opens_at=utcnow(), user_id=None)
    assert [(f["label"], f["share"]) for f in program.funders] == [
        ("province", "0.50"), ("city", "0.50")]
    assert all("1:1" in f["source"] for f in program.funders)
    assert "funders.name" in program.illustrative_fields
    half = program.budget_fen // 2
    assert funder_balances(db, program.id, 2) == [half, half]
    service.set_status(db, program=program, status=ProgramStatus.PUBLISHED)
    vouchers.issue(db, program=program, holder_org_id=startup.id,
                   value_fen=program.voucher_min_fen, application_id=None, user_id=None)
    part = program.voucher_min_fen // 2
    assert funder_balances(db, program.id, 2) == [half - part, half - part]
    assert verify(db).ok
