"""Programs' pages: the list, one program, publishing and funding, the budget dashboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from suanli.auth.principal import Principal
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.kit.money import MoneyError, format_cny_grouped, parse_cny
from suanli.programs import access, calls, forms, presets, repository, rules, service, views
from suanli.programs import permissions as perms
from suanli.programs.api import listed, managed, visible
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program
from suanli.programs.rates import parse_rate, percent
from suanli.web import charts
from suanli.web.i18n import translate
from suanli.web.listing import Listing, known, paginate
from suanli.web.render import env, language, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.PROGRAMS_READ)]
Manager = Annotated[Principal, Guard(perms.PROGRAMS_MANAGE)]
BudgetReader = Annotated[Principal, Guard(perms.PROGRAMS_BUDGET)]
env.filters["percent"] = percent
env.filters["rate_percent"] = lambda text: percent(parse_rate(text))  # "0.10" -> "10 %"


def _city(request: Request, city: str) -> str:
    pair = service.city_names().get(city)
    if pair is None:
        return city
    return pair[1] if language(request) == "zh" else pair[0]


@router.get("/programs", response_class=HTMLResponse)
def programs_page(request: Request, session: DbSession, principal: Reader,
                  query: Listing) -> Response:
    status = known(query.status, ProgramStatus)
    everything = listed(session, principal, ProgramStatus(status) if status else None)
    authorities = views.authorities(session, everything)
    rows, pager = paginate(everything, query, "/programs", keep=lambda p: query.matches(
        p.name, p.name_zh, p.city, _city(request, p.city) if p.city else "",
        authorities.get(p.authority_org_id, "")))
    return render(request, "programs/list.html", programs=rows, authorities=authorities,
                  pager=pager, statuses=list(ProgramStatus),
                  city=lambda c: _city(request, c),
                  can_manage=principal.can(perms.PROGRAMS_MANAGE),
                  can_budget=principal.can(perms.PROGRAMS_BUDGET))


def _budget_chart(request: Request, budgets: list[views.BudgetView]) -> Markup:
    lang = language(request)
    return Markup(charts.stacked_bar_chart(  # noqa: S704 - the chart escapes what it draws
        [((v.program.name_zh or v.program.name) if lang == "zh" else v.program.name,
          {"spent": v.totals.spent, "held": v.totals.held,
           "outstanding": v.totals.outstanding, "unissued": v.unissued}) for v in budgets],
        keys=views.SEGMENTS, colours=views.COLOURS,
        names={k: translate(lang, f"programs.budget.{k}") for k in views.SEGMENTS},
        title=translate(lang, "programs.budget.chart"),
        shown=lambda fen: f"{format_cny_grouped(fen)} CNY", test_id="budget-chart"))


@router.get("/programs/budget", response_class=HTMLResponse)
def budget_page(request: Request, session: DbSession, principal: BudgetReader) -> Response:
    scope = None if access.sees_all(principal) else access.managed_ids(principal)
    rows = repository.programs(session, authority_ids=scope, public=False)
    budgets = views.budgets(session, rows)
    return render(request, "programs/budget.html", budgets=budgets,
                  chart=_budget_chart(request, budgets), totals=_sum(budgets))


def _sum(budgets: list[views.BudgetView]) -> dict[str, int]:
    return {"budget": sum(v.budget for v in budgets),
            "unissued": sum(v.unissued for v in budgets),
            "issued": sum(v.totals.issued for v in budgets),
            "held": sum(v.totals.held for v in budgets),
            "spent": sum(v.totals.spent for v in budgets),
            "returned": sum(v.totals.returned for v in budgets)}


def _detail(request: Request, session: DbSession, principal: Principal, program: Program,
            *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    lang = language(request)
    budget = None
    if principal.can(perms.PROGRAMS_BUDGET) and (
            access.sees_all(principal) or access.can_manage(principal, program)):
        budget = views.budgets(session, [program])[0]
    preset = presets.get(program.preset_key) if program.preset_key else None
    return render(request, "programs/detail.html", status, program=program,
                  authority=views.authorities(session, [program]).get(
                      program.authority_org_id, ""),
                  city=_city(request, program.city),
                  rules_text=rules.describe(program.rules, lang, service.city_names()),
                  tiers=[{"key": t["key"], "name": t["name"], "rate": t["rate"],
                          "max_rate": t["max_rate"], "cap": t.get("cap_per_firm_cny"),
                          "source": t.get("source"),
                          "rule": rules.describe(t["rule"], lang, service.city_names())}
                         for t in program.tiers or []],
                  can_manage=access.can_manage(principal, program), budget=budget,
                  can_apply=principal.can(perms.APPLICATIONS_APPLY) and program.status
                  == ProgramStatus.PUBLISHED, preset=preset, errors=errors or {},
                  marked=set(program.illustrative_fields), calls=calls.of(session, program.id))


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program_page(program_id: int, request: Request, session: DbSession,
                 principal: Reader) -> Response:
    return _detail(request, session, principal, visible(session, principal, program_id))


@router.post("/programs/{program_id}/status", response_class=HTMLResponse)
def status_submit(program_id: int, request: Request, session: DbSession, principal: Manager,
                  fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    try:
        service.set_status(session, program=program, status=ProgramStatus(fields.get("status", "")))
    except (ValueError, AppError) as exc:
        detail = exc.detail if isinstance(exc, AppError) else "unknown status"
        return _detail(request, session, principal, program, errors={"status": detail},
                       status=exc.status if isinstance(exc, AppError) else 422)
    return RedirectResponse(f"/programs/{program.id}", status_code=303)


@router.post("/programs/{program_id}/funding", response_class=HTMLResponse)
def funding_submit(program_id: int, request: Request, session: DbSession,
                   principal: Manager, fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    try:
        amount = parse_cny((fields.get("amount_cny") or "").strip(), field="amount_cny",
                           negative=True)
        with session.begin_nested():
            service.fund(session, program=program, amount_fen=amount,
                         user_id=principal.user_id,
                         reason=(fields.get("reason") or "").strip() or "top-up")
    except MoneyError as exc:
        return _detail(request, session, principal, program, status=422,
                       errors={"amount_cny": str(exc).removeprefix("amount_cny: ")})
    except AppError as exc:
        session.refresh(program)
        return _detail(request, session, principal, program, status=exc.status,
                       errors={"amount_cny": exc.detail})
    return RedirectResponse(f"/programs/{program.id}", status_code=303)


CALL_FIELDS = {"name": "call_name", "opens_at": "call_opens", "closes_at": "call_closes",
               "budget_cny": "call_budget_cny"}


@router.post("/programs/{program_id}/calls", response_class=HTMLResponse)
def call_submit(program_id: int, request: Request, session: DbSession, principal: Manager,
                fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    try:
        opens = forms.day_start(fields.get("call_opens", ""), field="opens_at")
        closes = forms.day_start(fields.get("call_closes", ""), field="closes_at")
        budget = parse_cny((fields.get("call_budget_cny") or "").strip(), field="budget_cny")
        with session.begin_nested():
            calls.create(session, program=program, name=fields.get("call_name", ""),
                         opens_at=opens, closes_at=closes, budget_fen=budget,
                         user_id=principal.user_id)
    except AppError as exc:
        name = CALL_FIELDS.get(exc.field or "", "call_name")
        return _detail(request, session, principal, program, status=exc.status,
                       errors={name: exc.detail.removeprefix(f"{exc.field}: ")})
    return RedirectResponse(f"/programs/{program.id}", status_code=303)
