"""JSON routes of programs: presets, settings, rules, status, funding and budgets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.money import MoneyError, format_cny, parse_cny
from suanli.kit.timeutil import utcnow
from suanli.programs import access, calls, presets, repository, rules, service, views
from suanli.programs import permissions as perms
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program, ProgramCall
from suanli.programs.schemas import (
    BudgetRead,
    CallIn,
    CallRead,
    FundingIn,
    PresetCreate,
    PresetRead,
    ProgramCreate,
    ProgramRead,
    ProgramUpdate,
    StatusIn,
)
from suanli.programs.settings import ProgramSettings

router = APIRouter(tags=["programs"])
Reader = Annotated[Principal, Guard(perms.PROGRAMS_READ)]
Manager = Annotated[Principal, Guard(perms.PROGRAMS_MANAGE)]
BudgetReader = Annotated[Principal, Guard(perms.PROGRAMS_BUDGET)]
RuleTree = Annotated[dict[str, Any], Body(description="The eligibility rule tree")]


def visible(session: DbSession, principal: Principal, program_id: int) -> Program:
    """The program when the caller may see it; 404 otherwise (drafts stay private)."""
    program = repository.get(session, program_id)
    if program is None or not access.can_see(principal, program):
        raise NotFound(f"no program {program_id}", field="program_id")
    return program


def managed(session: DbSession, principal: Principal, program_id: int) -> Program:
    program = repository.get(session, program_id)
    if program is None or not access.can_manage(principal, program):
        raise NotFound(f"no program {program_id}", field="program_id")
    return program


def listed(session: DbSession, principal: Principal, status: ProgramStatus | None = None,
           city: str | None = None) -> list[Program]:
    everything = access.sees_all(principal)
    return repository.programs(session, authority_ids=None if everything
                               else access.own_ids(principal), public=not everything,
                               statuses=[status] if status else None, city=city)


def _read(session: DbSession, program: Program) -> ProgramRead:
    return views.reads(session, [program])[0]


@router.get("/programs/presets", response_model=list[PresetRead],
            summary="City presets: published programs with their sources, and illustrative "
                    "ones for the other cities")
def list_presets(principal: Reader) -> list[PresetRead]:
    return [PresetRead(key=p.key, city=p.city, name=p.name, name_zh=p.name_zh, year=p.year,
                       published=p.published, source=p.source,
                       eligibility_text=p.eligibility_text, redemption_text=p.redemption_text,
                       illustrative_fields=p.values["illustrative_fields"])
            for p in presets.all_presets()]


@router.post("/programs/presets/{preset_key}", response_model=ProgramRead, status_code=201,
             summary="Create a draft program from a city preset (budget funded; audited)")
def create_from_preset(preset_key: str, body: PresetCreate, session: DbSession, principal: Manager,
                       _key: Idempotent) -> ProgramRead:
    authority = access.authority_for(principal, body.authority_org_id)
    program = service.create_from_preset(session, authority_org_id=authority, key=preset_key,
                                         opens_at=body.window_opens_at or utcnow(),
                                         user_id=principal.user_id)
    return _read(session, program)


@router.get("/programs", response_model=list[ProgramRead],
            summary="Programs you may see: your authority's, and every published one")
def list_programs(session: DbSession, principal: Reader,
                  status: ProgramStatus | None = None,
                  city: Annotated[str | None, Query(max_length=64)] = None
                  ) -> list[ProgramRead]:
    return views.reads(session, listed(session, principal, status, city))


def settings_from(body: ProgramCreate) -> ProgramSettings:
    changes = views.changes_from(body)
    changes.setdefault("default_value_fen", changes["voucher_min_fen"])
    return ProgramSettings(**changes)


@router.post("/programs", response_model=ProgramRead, status_code=201,
             summary="Create a draft program; its budget is funded from your treasury")
def create_program(body: ProgramCreate, session: DbSession, principal: Manager,
                   _key: Idempotent) -> ProgramRead:
    authority = access.authority_for(principal, body.authority_org_id)
    program = service.create(session, authority_org_id=authority, data=settings_from(body),
                             user_id=principal.user_id)
    return _read(session, program)


@router.get("/programs/budgets", response_model=list[BudgetRead],
            summary="Budget, issued, held, spent and returned per program, from the ledger")
def list_budgets(session: DbSession, principal: BudgetReader) -> list[BudgetRead]:
    scope = None if access.sees_all(principal) else access.managed_ids(principal)
    rows = repository.programs(session, authority_ids=scope, public=False)
    return [views.budget_read(v) for v in views.budgets(session, rows)]


@router.get("/programs/{program_id}", response_model=ProgramRead, summary="One program")
def get_program(program_id: int, session: DbSession, principal: Reader) -> ProgramRead:
    return _read(session, visible(session, principal, program_id))


@router.patch("/programs/{program_id}", response_model=ProgramRead,
              summary="Change settings; a new budget funds or returns the difference")
def update_program(program_id: int, body: ProgramUpdate, session: DbSession,
                   principal: Manager, _key: Idempotent) -> ProgramRead:
    program = managed(session, principal, program_id)
    service.update(session, program=program, changes=views.changes_from(body),
                   user_id=principal.user_id)
    return _read(session, program)


@router.put("/programs/{program_id}/rules", response_model=ProgramRead,
            summary="Replace the eligibility rules (a rule that can never pass, or names an "
                    "unknown field, is refused with its path)")
def put_rules(program_id: int, tree: RuleTree, session: DbSession, principal: Manager,
              _key: Idempotent) -> ProgramRead:
    program = managed(session, principal, program_id)
    service.set_rules(session, program=program, tree=tree, user_id=principal.user_id)
    return _read(session, program)


@router.post("/programs/{program_id}/rules/check", response_model=dict[str, Any],
             summary="Check a rule tree without saving it: its problems and its reading")
def check_rules(program_id: int, tree: RuleTree, session: DbSession,
                principal: Manager) -> dict[str, Any]:
    managed(session, principal, program_id)
    found = rules.problems(tree)
    text = None if found else rules.describe(tree, "en", service.city_names())
    return {"ok": not found, "text": text,
            "problems": [{"field": p.path, "message": p.message} for p in found]}


@router.post("/programs/{program_id}/status", response_model=ProgramRead,
             summary="Publish a draft or close a published program (audited)")
def set_status(program_id: int, body: StatusIn, session: DbSession, principal: Manager,
               _key: Idempotent) -> ProgramRead:
    program = managed(session, principal, program_id)
    service.set_status(session, program=program, status=body.status)
    return _read(session, program)


@router.post("/programs/{program_id}/funding", response_model=BudgetRead, status_code=201,
             summary="Add budget from the treasury (negative: return unissued budget)")
def fund_program(program_id: int, body: FundingIn, session: DbSession, principal: Manager,
                 _key: Idempotent) -> BudgetRead:
    program = managed(session, principal, program_id)
    try:
        amount = parse_cny(body.amount_cny, field="amount_cny", negative=True)
    except MoneyError as exc:
        raise ValidationFailed(str(exc), field="amount_cny") from exc
    service.fund(session, program=program, amount_fen=amount, user_id=principal.user_id,
                 reason=body.reason, funder=body.funder)
    return views.budget_read(views.budgets(session, [program])[0])


@router.get("/programs/{program_id}/budget", response_model=BudgetRead,
            summary="One program's budget and what happened to it, from the ledger")
def get_budget(program_id: int, session: DbSession, principal: BudgetReader) -> BudgetRead:
    program = repository.get(session, program_id)
    if program is None or not (access.sees_all(principal) or access.can_manage(principal,
                                                                              program)):
        raise NotFound(f"no program {program_id}", field="program_id")
    return views.budget_read(views.budgets(session, [program])[0])


def _call_read(call: ProgramCall) -> CallRead:
    return CallRead(id=call.id, program_id=call.program_id, name=call.name,
                    opens_at=call.opens_at, closes_at=call.closes_at,
                    budget_cny=format_cny(call.budget_fen))


@router.get("/programs/{program_id}/calls", response_model=list[CallRead],
            summary="The program's calls for applications, in the order they open")
def list_calls(program_id: int, session: DbSession, principal: Reader) -> list[CallRead]:
    program = visible(session, principal, program_id)
    return [_call_read(c) for c in calls.of(session, program.id)]


@router.post("/programs/{program_id}/calls", response_model=CallRead, status_code=201,
             summary="Open a call: a window and a slice of the budget; a program with calls "
                     "takes applications only while one is open")
def create_call(program_id: int, body: CallIn, session: DbSession, principal: Manager,
                _key: Idempotent) -> CallRead:
    program = managed(session, principal, program_id)
    call = calls.create(session, program=program, name=body.name, opens_at=body.opens_at,
                        closes_at=body.closes_at, budget_fen=parse_cny(body.budget_cny,
                                                                       field="budget_cny"),
                        user_id=principal.user_id)
    return _call_read(call)
