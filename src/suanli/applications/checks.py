"""The refusals: rules that forbid an application outright, each naming itself.

A duplicate (another open application by the firm to the program), an application outside
the program's window, one that would take the firm past the program's yearly cap, or a second
subsidy where the program forbids holding two.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from suanli.applications import repository
from suanli.applications.errors import (
    DuplicateApplication,
    OutsideWindow,
    SecondSubsidyForbidden,
    YearlyCapExceeded,
)
from suanli.applications.models import StartupProfile
from suanli.auth import repository as auth_repo
from suanli.auth.roles import OrgKind
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import SHANGHAI, as_utc, to_shanghai
from suanli.programs import calls, tiers
from suanli.programs.enums import ProgramStatus, ProviderMode
from suanli.programs.errors import BudgetExhausted, ProgramNotOpen
from suanli.programs.models import Program
from suanli.vouchers import repository as voucher_repo


def window(program: Program, now: datetime) -> None:
    """The program must be published and its window open."""
    if program.status != ProgramStatus.PUBLISHED:
        raise ProgramNotOpen(f"the program is {program.status}; it takes no applications",
                             field="program_id", rule="published")
    opens, closes = as_utc(program.window_opens_at), as_utc(program.window_closes_at)
    if not opens <= now < closes:
        when = "opens" if now < opens else "closed"
        at = to_shanghai(opens if now < opens else closes).strftime("%Y-%m-%d %H:%M")
        raise OutsideWindow(f"the application window {when} at {at} (Asia/Shanghai)",
                            field="program_id", opens_at=opens.isoformat(),
                            closes_at=closes.isoformat())


def duplicate(session: Session, program: Program, organisation_id: int,
              *, ignore_id: int | None = None) -> None:
    found = repository.open_of(session, program_id=program.id, organisation_id=organisation_id)
    if found is not None and found.id != ignore_id:
        raise DuplicateApplication(f"your organisation already has application {found.id} "
                                   f"({found.status}) for this program", field="program_id",
                                   application_id=found.id)


def year_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar year (Asia/Shanghai) around `now`, as UTC instants."""
    year = to_shanghai(now).year
    return (as_utc(datetime(year, 1, 1, tzinfo=SHANGHAI)),
            as_utc(datetime(year + 1, 1, 1, tzinfo=SHANGHAI)))


def yearly_cap(session: Session, program: Program, organisation_id: int, value_fen: int,
               now: datetime, *, field: str, tier_key: str | None = None) -> None:
    """The cap per firm of the applicant's tier (the program's when the tier sets none)."""
    cap = tiers.program_terms(program, tier_key).cap_per_firm_fen
    if cap is None:
        return
    start, end = year_bounds(now)
    issued = voucher_repo.issued_between(session, holder_org_id=organisation_id,
                                         program_id=program.id, start=start, end=end)
    if issued + value_fen > cap:
        raise YearlyCapExceeded(
            f"{format_cny_grouped(value_fen)} CNY more would take your firm to "
            f"{format_cny_grouped(issued + value_fen)} CNY this year; the program's cap per "
            f"firm is {format_cny_grouped(cap)} CNY", field=field,
            issued_fen=issued, cap_fen=cap)


def second_subsidy(session: Session, program: Program, organisation_id: int,
                   profile: StartupProfile | None, now: datetime) -> None:
    if not program.forbid_other_subsidies:
        return
    declared = list(profile.other_subsidies or []) if profile is not None else []
    held = voucher_repo.active_elsewhere(session, holder_org_id=organisation_id,
                                         program_id=program.id, now=now)
    if declared or held:
        what = ", ".join([*declared, *(f"voucher {v.id} of program {v.program_id}"
                                       for v in held)])
        raise SecondSubsidyForbidden(f"this program forbids holding another subsidy; your "
                                     f"firm holds: {what}", field="other_subsidies")


def call_slice(session: Session, call_id: int | None, value_fen: int) -> None:
    """Issuing `value_fen` more must fit the call's budget slice (BudgetExhausted: the
    application waits, like one the program's budget cannot cover). The call's row is
    locked so that concurrent issues of one call queue."""
    if call_id is None:
        return
    call = calls.get(session, call_id, lock=True)
    if call is None:
        return
    issued = repository.issued_in_call(session, call_id)
    if issued + value_fen > call.budget_fen:
        raise BudgetExhausted(
            f"the call {call.name!r} has {format_cny_grouped(call.budget_fen - issued)} CNY of "
            f"its {format_cny_grouped(call.budget_fen)} CNY left", field="value_cny")


def paired_provider(session: Session, program: Program, slug: str | None,
                    affiliates: list[str]) -> int | None:
    """The provider organisation named for a paired voucher: required where the program
    pairs vouchers, refused where it does not; one of the program's listed providers (list
    mode) and not one the applicant is affiliated with where the program refuses those.
    422 naming `paired_provider` otherwise."""
    field = "paired_provider"
    if not program.paired_vouchers:
        if slug:
            raise ValidationFailed("this program does not pair vouchers", field=field)
        return None
    if not slug:
        raise ValidationFailed("name the provider that receives the paired voucher",
                               field=field)
    org = auth_repo.org_by_slug(session, slug)
    if org is None or org.kind != OrgKind.PROVIDER:
        raise ValidationFailed(f"no provider organisation {slug!r}", field=field)
    if program.provider_mode == ProviderMode.LIST and slug not in program.provider_slugs:
        raise ValidationFailed(f"{slug} is not one of the program's providers", field=field)
    if program.no_affiliated_providers and slug in affiliates:
        raise ValidationFailed(f"you declared {slug} affiliated", field=field)
    return org.id
