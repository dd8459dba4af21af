"""A tier's own split across the funders (Shanghai: the city alone pays the 30 % vouchers,
city 30 / district 70 of the early-stage tier's) and its longest voucher life: issuing,
returns, what each funder paid, and what is refused when saved, naming the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs import views
from suanli.programs.errors import BudgetExhausted
from suanli.vouchers import service as vouchers
from suanli.vouchers import totals
from suanli.vouchers import views as voucher_views
from tests.programs.factory import MILLION, make_program

FUNDERS: list[dict[str, Any]] = [
    {"name": "Shanghai City", "label": "city", "share": "0.5"},
    {"name": "Xuhui District", "label": "district", "share": "0.5"}]
ANYONE: dict[str, Any] = {"all": [{"field": "registered_city", "op": "eq",
                                   "value": "shanghai"}]}
EARLY = {"key": "early-stage", "name": "Early-stage", "rate": "1.00", "max_rate": "1.00",
         "rule": {"all": [{"field": "headcount", "op": "le", "value": 100}]},
         "funder_shares": ["0.3", "0.7"], "max_days": 365}
CITY = {"key": "city-30", "name": "City 30 %", "rate": "0.30", "rule": ANYONE,
        "funder_shares": ["1", "0"]}


@pytest.fixture(autouse=True)
def _totals() -> None:
    totals.register()


@pytest.fixture
def authority(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="sh-bureau", name="Bureau",
                                            kind=OrgKind.AUTHORITY)


@pytest.fixture
def startup(db: Session) -> Organisation:
    return auth_service.create_organisation(db, slug="acme", name="Acme", kind=OrgKind.STARTUP)


def balances(db: Session, program_id: int) -> list[int]:
    return [ledger.balance(db, f"program-funder:{program_id}:{i}").available for i in (1, 2)]


def shanghai(db: Session, authority: Organisation, **over: Any) -> Any:
    values: dict[str, Any] = dict(funders=FUNDERS, tiers=[EARLY, CITY], domestic_bonus_bp=0,
                                  rate_state_bp=3000, rate_commercial_bp=3000,
                                  max_rate_bp=3000, validity_days=730)
    values.update(over)
    return make_program(db, authority.id, **values)


def spend(db: Session, voucher: Any, amount: int, n: int) -> None:
    """What a provider's approved claim does to the voucher: its money leaves it."""
    ledger.open_account(db, code="provider-payout:x", kind=ledger.AccountKind.PROVIDER_PAYOUT,
                        owner_org_id=None, name="x")
    ledger.transfer(db, id=f"spend:{voucher.id}:{n}", debit=voucher.account_code,
                    credit="provider-payout:x", amount=amount, reason="claim")


def test_each_tier_splits_issue_returns_and_payouts_its_own_way(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = shanghai(db, authority)
    assert balances(db, program.id) == [5 * MILLION, 5 * MILLION]
    early = vouchers.issue(db, program=program, holder_org_id=startup.id,
                           value_fen=MILLION + 1, application_id=None, user_id=None,
                           tier_key="early-stage")
    city = vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                          application_id=None, user_id=None, tier_key="city-30")
    assert early.funder_shares == [3000, 7000] and city.funder_shares == [10_000, 0]
    (read,) = voucher_views.reads(db, [early])
    assert (read.funder_shares, read.unit) == (["0.30", "0.70"], "gpu_hours")
    # 1,000,000.01: 300,000.00 (+0.003) and 700,000.01 (the odd fen to the larger remainder)
    assert balances(db, program.id) == [5 * MILLION - 30_000_000 - MILLION,
                                        5 * MILLION - 70_000_001]
    spend(db, early, 10_000_00, 1)  # 10,000 CNY of the early-stage voucher
    spend(db, city, 5_000_00, 2)
    (view,) = views.budgets(db, [program])
    assert [f.paid for f in view.funders] == [3_000_00 + 5_000_00, 7_000_00]
    assert [f.committed for f in view.funders] == [30_000_000 + MILLION, 70_000_001]
    vouchers.clawback(db, voucher_id=early.id, reason="fraud", user_id=None)
    # 990,000.01 back: never more to a funder than it put in, split 30/70
    assert balances(db, program.id) == [5 * MILLION - MILLION - 3_000_00,
                                        5 * MILLION - 7_000_00]
    assert verify(db).ok


def test_a_tier_voucher_lives_at_most_its_days_and_then_returns_its_money(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = shanghai(db, authority)
    early = vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                           application_id=None, user_id=None, tier_key="early-stage")
    city = vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                          application_id=None, user_id=None, tier_key="city-30")
    assert early.valid_until - early.valid_from == timedelta(days=365)
    assert city.valid_until - city.valid_from == timedelta(days=730)
    report = vouchers.expire_due(db, now=early.valid_until + timedelta(seconds=1))
    assert report.expired == 1 and report.returned_fen == MILLION
    assert balances(db, program.id) == [5 * MILLION - MILLION, 5 * MILLION]
    assert verify(db).ok


def test_a_funder_without_its_tier_part_stops_that_tier_only(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    program = shanghai(db, authority, budget_fen=4 * MILLION)  # 2 m each
    for _ in range(2):
        vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                       application_id=None, user_id=None, tier_key="city-30")
    assert balances(db, program.id) == [0, 2 * MILLION]
    assert not vouchers.can_issue(db, program, MILLION, "early-stage")
    with pytest.raises(BudgetExhausted), db.begin_nested():
        vouchers.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                       application_id=None, user_id=None, tier_key="early-stage")
    assert balances(db, program.id) == [0, 2 * MILLION]
    assert verify(db).ok


@pytest.mark.parametrize(("tier", "field"), [
    ({**EARLY, "funder_shares": ["0.3", "0.6"]}, "tiers[0].funder_shares"),
    ({**EARLY, "funder_shares": ["1"]}, "tiers[0].funder_shares"),
    ({**EARLY, "funder_shares": ["1.3", "-0.3"]}, "tiers[0].funder_shares[0]"),
    ({**EARLY, "funder_shares": [0.3, 0.7]}, "tiers[0].funder_shares[0]"),
    ({**EARLY, "rate": "1.10"}, "tiers[0].rate"),
    ({**EARLY, "max_days": 0}, "tiers[0].max_days"),
    ({**EARLY, "max_days": "365"}, "tiers[0].max_days"),
])
def test_bad_tier_splits_are_refused_naming_the_field(
        db: Session, authority: Organisation, tier: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught, db.begin_nested():
        shanghai(db, authority, tiers=[tier])
    assert caught.value.field == field


def test_a_split_needs_funders(db: Session, authority: Organisation) -> None:
    with pytest.raises(ValidationFailed) as caught, db.begin_nested():
        make_program(db, authority.id, tiers=[{**EARLY, "funder_shares": ["1"]}],
                     domestic_bonus_bp=0)
    assert caught.value.field == "tiers[0].funder_shares"


def test_one_funder_tops_up_or_takes_back_its_own_account(
        db: Session, authority: Organisation, startup: Organisation) -> None:
    from suanli.programs import service

    program = shanghai(db, authority, budget_fen=2 * MILLION)
    service.fund(db, program=program, amount_fen=3 * MILLION + 1, user_id=None,
                 reason="district top-up", funder=2)
    assert balances(db, program.id) == [MILLION, 4 * MILLION + 1]
    service.fund(db, program=program, amount_fen=-MILLION, user_id=None, reason="back",
                 funder=1)
    assert balances(db, program.id) == [0, 4 * MILLION + 1]
    with pytest.raises(BudgetExhausted), db.begin_nested():
        service.fund(db, program=program, amount_fen=-1, user_id=None, reason="x", funder=1)
    for bad in (0, 3):
        with pytest.raises(ValidationFailed) as caught, db.begin_nested():
            service.fund(db, program=program, amount_fen=1, user_id=None, funder=bad)
        assert caught.value.field == "funder"
    (view,) = views.budgets(db, [program])
    assert [f.funded for f in view.funders] == [0, 4 * MILLION + 1]
    assert program.budget_fen == 4 * MILLION + 1
    assert verify(db).ok
