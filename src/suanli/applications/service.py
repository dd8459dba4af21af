"""Startup profiles, applying, the live eligibility preview and submitting.

On submit the program's rules decide: fail -> rejected; needs review -> a reviewer decides
(`review.py`); pass -> auto-approved, and the voucher is issued at once with the requested
value, or the program's default value when none was requested. A request above the default
goes to a reviewer even when the rules pass: only a person grants more than the default.
An approved (or auto-approved) application whose program's budget cannot cover it waits for
budget in that state, also when a concurrent request took the budget first; when budget is
added, the waiting ones are issued, oldest first, as far as it goes (a reviewer may also
issue one by hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli import outbox
from suanli.applications import checks, facts, repository, states
from suanli.applications.errors import DuplicateApplication
from suanli.applications.models import Application, ApplicationEvent, StartupProfile
from suanli.applications.states import ApplicationStatus as S
from suanli.audit import service as audit
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.programs import calls, rules, tiers
from suanli.programs import service as programs
from suanli.programs.errors import BudgetExhausted
from suanli.programs.models import Program
from suanli.vouchers import service as vouchers

PROFILE_COLUMNS = facts.PROFILE_FIELDS


def profile_values(profile: StartupProfile | None) -> dict[str, Any]:
    """The profile's columns (all None when the startup has none yet)."""
    return {name: None if profile is None else getattr(profile, name)
            for name in PROFILE_COLUMNS}


def save_profile(session: Session, *, organisation_id: int, values: Mapping[str, Any],
                 user_id: int | None) -> StartupProfile:
    """Create or replace the startup's profile (every column; None means "not given")."""
    unknown = set(values) - set(PROFILE_COLUMNS)
    if unknown:
        raise ValidationFailed("not a profile field", field=sorted(unknown)[0])
    profile = repository.profile_of(session, organisation_id)
    before = None if profile is None else facts.as_json(profile_values(profile))
    if profile is None:
        profile = StartupProfile(organisation_id=organisation_id)
        session.add(profile)
    for name in PROFILE_COLUMNS:
        setattr(profile, name, values.get(name))
    profile.updated_by = user_id
    session.flush()
    audit.record(session, action="profile.save", object_type="startup_profile",
                 object_id=organisation_id, before=before,
                 after=facts.as_json(profile_values(profile)), organisation_id=organisation_id)
    return profile


def evaluate(program: Program, values: Mapping[str, Any], *,
             now: datetime | None = None) -> rules.Evaluation:
    """The program's rules against profile values (the live preview and the real check)."""
    today = to_shanghai(now or utcnow()).date()
    return rules.evaluate(program.rules, facts.facts(values, as_of=today),
                          names=programs.city_names())


def choose_tier(program: Program, values: Mapping[str, Any], *,
                now: datetime | None = None) -> tiers.TierChoice:
    """Which of the program's rate tiers applies to a profile, and why."""
    today = to_shanghai(now or utcnow()).date()
    return tiers.program_choice(program, facts.facts(values, as_of=today),
                                names=programs.city_names())


def tier_json(choice: tiers.TierChoice) -> dict[str, Any]:
    return {**choice.as_json(), "why": tiers.why(choice), "why_zh": tiers.why(choice, "zh")}


def preview(program: Program, values: Mapping[str, Any], *,
            now: datetime | None = None) -> dict[str, Any]:
    """The rules' verdict and the tier that would apply (the live preview)."""
    return {**evaluate(program, values, now=now).as_json(),
            "tier": tier_json(choose_tier(program, values, now=now))}


def get(session: Session, application_id: int, *, field: str = "application_id"
        ) -> Application:
    application = repository.get(session, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field=field)
    return application


def create(session: Session, *, program: Program, organisation_id: int, user_id: int | None,
           requested_value_fen: int | None = None, now: datetime | None = None,
           call_id: int | None = None) -> Application:
    """A draft application; refused outside the window (and, for a program with calls,
    outside every open call), as a duplicate, past the yearly cap or as a forbidden second
    subsidy."""
    now = now or utcnow()
    checks.window(program, now)
    call = calls.open_call(session, program, now, call_id)
    checks.duplicate(session, program, organisation_id)
    if requested_value_fen is not None:
        vouchers.check_value(program, requested_value_fen, field="requested_value_cny")
    value = requested_value_fen or program.default_value_fen
    profile = repository.profile_of(session, organisation_id)
    tier = choose_tier(program, profile_values(profile), now=now).terms.tier
    checks.yearly_cap(session, program, organisation_id, value, now,
                      field="requested_value_cny", tier_key=tier)
    checks.second_subsidy(session, program, organisation_id, profile, now)
    application = Application(program_id=program.id, organisation_id=organisation_id,
                              status=S.DRAFT, open_slot=True,
                              requested_value_fen=requested_value_fen, created_by=user_id,
                              created_at=now, call_id=None if call is None else call.id)
    try:
        with session.begin_nested():
            repository.add(session, application)
    except IntegrityError as exc:  # a concurrent twin got there first
        raise DuplicateApplication("your organisation already has an open application for "
                                   "this program", field="program_id") from exc
    _event(session, application, None, S.DRAFT, user_id, None, now)
    return application


def submit(session: Session, *, application: Application, user_id: int | None,
           now: datetime | None = None) -> Application:
    """Submit a draft: the refusals again, then the rules decide what happens next."""
    now = now or utcnow()
    # A second submit of the same draft waits here, then finds it submitted.
    application = repository.lock(session, application.id) or application
    states.check(application.status, S.SUBMITTED)
    program = programs.get(session, application.program_id)
    profile = repository.profile_of(session, application.organisation_id)
    if profile is None:
        raise ValidationFailed("fill in your organisation's profile first", field="profile")
    value = application.requested_value_fen or program.default_value_fen
    values = profile_values(profile)
    tier = choose_tier(program, values, now=now)
    checks.window(program, now)
    if application.call_id is not None:  # its call must still be open
        calls.open_call(session, program, now, application.call_id)
    checks.yearly_cap(session, program, application.organisation_id, value, now,
                      field="requested_value_cny", tier_key=tier.terms.tier)
    checks.second_subsidy(session, program, application.organisation_id, profile, now)
    verdict = evaluate(program, values, now=now)
    application.profile = facts.as_json(values)
    application.evaluation = {**verdict.as_json(),
                              "tier": tier_json(tier)}
    application.tier_key = tier.terms.tier
    application.submitted_at = now
    move(session, application, S.SUBMITTED, user_id=user_id, now=now)
    if verdict.outcome == rules.Outcome.FAIL:
        failing = [c.en for c in verdict.checks if c.effect == rules.Outcome.FAIL]
        move(session, application, S.REJECTED, user_id=None, now=now,
             reason="The eligibility rules are not met: " + "; ".join(failing))
    elif verdict.outcome == rules.Outcome.REVIEW or not program.auto_approve:
        move(session, application, S.NEEDS_REVIEW, user_id=None, now=now,
             reason=_review_reason(verdict, program))
    elif value > program.default_value_fen:
        move(session, application, S.NEEDS_REVIEW, user_id=None, now=now,
             reason="The rules pass, but the value asked for is above the automatic default")
    else:
        application.value_fen = value
        move(session, application, S.AUTO_APPROVED, user_id=None, now=now,
             reason="Every eligibility rule passes")
        try_issue(session, application, program, user_id=None, now=now)
    return application


def _review_reason(verdict: rules.Evaluation, program: Program) -> str:
    if verdict.outcome == rules.Outcome.PASS:
        return "The rules pass; this program has every application reviewed"
    open_ = [c.en for c in verdict.checks if c.effect == rules.Outcome.REVIEW]
    return "A reviewer must check: " + "; ".join(open_)


def try_issue(session: Session, application: Application, program: Program, *,
              user_id: int | None, now: datetime) -> bool:
    """Issue the approved application's voucher when the budget covers it; otherwise (also
    when a concurrent issue took the budget first) it waits for budget, still approved."""
    assert application.value_fen is not None
    if not vouchers.can_issue(session, program, application.value_fen, application.tier_key):
        return False
    try:
        with session.begin_nested():
            issue_for(session, application, program, user_id=user_id, now=now)
    except BudgetExhausted:
        return False
    return True


def issue_waiting(session: Session, program: Program) -> int:
    """Issue the vouchers of the program's applications that wait for budget, oldest first:
    each that fits is issued; one that does not keeps waiting (and its place, so it is tried
    first next time) while later, smaller ones that fit are issued, so no money sits idle
    behind a large application. How many were issued."""
    issued, now = 0, utcnow()
    for application in repository.waiting_for_budget(session, program.id):
        if try_issue(session, application, program, user_id=None, now=now):
            issued += 1
    return issued


programs.when_budget_added(issue_waiting)


def issue_for(session: Session, application: Application, program: Program, *,
              user_id: int | None, now: datetime) -> Application:
    """Issue the approved application's voucher and mark it issued."""
    assert application.value_fen is not None
    checks.call_slice(session, application.call_id, application.value_fen)
    voucher = vouchers.issue(session, program=program,
                             holder_org_id=application.organisation_id,
                             value_fen=application.value_fen, application_id=application.id,
                             user_id=user_id, now=now, tier_key=application.tier_key,
                             affiliates=(application.profile or {}).get("affiliates") or [])
    application.voucher_id = voucher.id
    move(session, application, S.VOUCHER_ISSUED, user_id=user_id, now=now,
         reason=f"voucher {voucher.id} issued")
    return application


def move(session: Session, application: Application, target: S, *, user_id: int | None,
         now: datetime, reason: str | None = None) -> None:
    """One step of the application's life, checked, recorded and audited."""
    current = S(application.status)
    states.check(current, target)
    application.status = target
    application.open_slot = True if target in states.OPEN else None
    session.flush()
    _event(session, application, current, target, user_id, reason, now)


def note(session: Session, application: Application, *, user_id: int | None,
         reason: str, now: datetime) -> None:
    """A step that does not change the status (a first of two approvals), recorded."""
    status = S(application.status)
    session.flush()
    _event(session, application, status, status, user_id, reason, now)


def _event(session: Session, application: Application, current: S | None, target: S,
           user_id: int | None, reason: str | None, now: datetime) -> None:
    repository.add(session, ApplicationEvent(
        application_id=application.id, from_status=current, to_status=target,
        actor_user_id=user_id, reason=None if reason is None else reason[:1000], at=now))
    audit.record(session, action=f"application.{target}", object_type="application",
                 object_id=application.id, organisation_id=application.organisation_id,
                 before=None if current is None else {"status": str(current)},
                 after={"status": str(target), "program_id": application.program_id,
                        "reason": reason, "value_fen": application.value_fen})
    outbox.emit(session, f"application.{target}", subject=("application", application.id),
                orgs={"buyer": application.organisation_id}, payload={
                    "application_id": application.id, "program_id": application.program_id,
                    "reason": reason, "value_fen": application.value_fen})
