"""Builders shared by the programs, applications and vouchers tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from suanli.kit.timeutil import utcnow
from suanli.programs import service
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program
from suanli.programs.settings import ProgramSettings

MILLION = 1_000_000_00  # fen

SHANGHAI_RULES: dict[str, Any] = {"all": [
    {"field": "registered_city", "op": "eq", "value": "shanghai"},
    {"any": [{"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
             {"field": "research_project_member", "op": "eq", "value": True}]},
    {"not": {"field": "credit_record", "op": "eq", "value": "default_3y"}},
]}


def settings(**over: Any) -> ProgramSettings:
    now = utcnow()
    values: dict[str, Any] = dict(
        city="shanghai", name="Test compute vouchers", year=2026, budget_fen=10 * MILLION,
        voucher_min_fen=MILLION, voucher_max_fen=2 * MILLION, default_value_fen=MILLION,
        rate_state_bp=5000, rate_commercial_bp=3000, domestic_bonus_bp=1000, max_rate_bp=6000,
        validity_days=365, window_opens_at=now - timedelta(days=1),
        window_closes_at=now + timedelta(days=30), rules=SHANGHAI_RULES,
        cap_per_firm_fen=2 * MILLION)
    values.update(over)
    return ProgramSettings(**values)


def make_program(db: Session, authority_id: int, *, publish: bool = True,
                 **over: Any) -> Program:
    program = service.create(db, authority_org_id=authority_id, data=settings(**over),
                             user_id=None)
    if publish:
        service.set_status(db, program=program, status=ProgramStatus.PUBLISHED)
    return program


def passing_profile(**over: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        registered_city="shanghai", annual_revenue_fen=8 * MILLION,
        research_project_member=False, research_project_number=None, headcount=40,
        founded_on=date(2021, 3, 1), model_filings=1, credit_record="ok", other_subsidies=[])
    values.update(over)
    return values
