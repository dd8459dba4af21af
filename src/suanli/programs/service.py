"""Creating and changing programs, funding their budgets through the ledger, presets.

The budget of program P is the ledger account `program-budget:P`, flagged so that its debits
never exceed its credits: whatever happens concurrently, the program cannot issue more than
it was funded. Funding moves money from the authority's treasury (`treasury:<slug>`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.programs import cofund, presets, repository, settings
from suanli.programs.errors import BudgetExhausted
from suanli.programs.models import Program, ProgramFunding, ProgramStatus
from suanli.programs.settings import ProgramSettings
from suanli.programs.text import clean

EDITABLE_AFTER_DRAFT = frozenset(settings.NAMES) - {"city", "year"}
BudgetAdded = Callable[[Session, Program], object]
_budget_added: list[BudgetAdded] = []


def when_budget_added(hook: BudgetAdded) -> None:
    """Call ``hook`` after budget is added to a program, or money comes back to it (a
    voucher expired or clawed back), in the same transaction (the applications domain
    issues the vouchers that waited for budget)."""
    if hook not in _budget_added:
        _budget_added.append(hook)


def budget_returned(session: Session, program_ids: Iterable[int]) -> None:
    """Money came back to these programs' budgets (expiry, clawback, a release after
    closing): let the hooks issue what waited for it."""
    for program_id in sorted(set(program_ids)):
        program = repository.get(session, program_id)
        if program is None or program.status == ProgramStatus.CLOSED:
            continue
        for hook in _budget_added:
            hook(session, program)


@cache
def known_cities() -> frozenset[str]:
    from suanli.catalog.network import load_cities

    return frozenset(city.id for city in load_cities())


def city_names() -> dict[str, tuple[str, str]]:
    """City id -> (English, Chinese) name, for sentences and pages."""
    from suanli.catalog.network import load_cities

    return {city.id: (city.name, city.name_zh) for city in load_cities()}


def treasury_code(authority: Organisation) -> str:
    return f"treasury:{authority.slug}"


def snapshot(program: Program) -> dict[str, Any]:
    """The program's settings for the audit log."""
    return {name: getattr(program, name) for name in (*settings.NAMES, "status")}


def settings_of(program: Program) -> ProgramSettings:
    return ProgramSettings(**{name: getattr(program, name) for name in settings.NAMES})


def get(session: Session, program_id: int, *, field: str = "program_id") -> Program:
    program = repository.get(session, program_id)
    if program is None:
        raise NotFound(f"no program {program_id}", field=field)
    return program


def _authority(session: Session, org_id: int) -> Organisation:
    org = repository.organisation(session, org_id)
    if org is None or org.kind != OrgKind.AUTHORITY:
        raise ValidationFailed("must be a city authority", field="authority_org_id")
    return org


def create(session: Session, *, authority_org_id: int, data: ProgramSettings,
           user_id: int | None, preset_key: str | None = None) -> Program:
    """A new draft program whose budget is funded from the authority's treasury."""
    authority = _authority(session, authority_org_id)
    canonical = settings.check(data, known_cities=known_cities())
    columns = {**data.columns(), "rules": canonical, "budget_fen": 0}  # funded just below
    program = repository.add(session, Program(
        **columns, authority_org_id=authority.id, preset_key=preset_key,
        status=ProgramStatus.DRAFT))
    ledger.open_account(session, code=treasury_code(authority), kind=ledger.AccountKind.TREASURY,
                        owner_org_id=authority.id, name=f"Treasury of {authority.slug}")
    ledger.open_account(session, code=program.budget_account,
                        kind=ledger.AccountKind.PROGRAM_BUDGET, owner_org_id=authority.id,
                        name=f"Budget of program {program.id}",
                        debits_must_not_exceed_credits=True)
    cofund.open_accounts(session, program)
    audit.record(session, action="program.create", object_type="program",
                 object_id=program.id, after=snapshot(program), organisation_id=authority.id)
    _move(session, program, authority, data.budget_fen, user_id, "initial budget")
    return program


def update(session: Session, *, program: Program, changes: Mapping[str, Any],
           user_id: int | None) -> Program:
    """Change settings; a new budget funds (or returns) the difference through the ledger."""
    program = _locked(session, program)
    unknown = set(changes) - set(settings.NAMES)
    if unknown:
        raise ValidationFailed("not a program setting", field=sorted(unknown)[0])
    locked = set(changes) - EDITABLE_AFTER_DRAFT
    if program.status != ProgramStatus.DRAFT and any(
            changes[k] != getattr(program, k) for k in locked):
        raise Conflict("the city and year are fixed once a program is published",
                       field=sorted(locked)[0])
    merged = settings_of(program)
    for name, value in changes.items():
        setattr(merged, name, value)
    canonical = settings.check(merged, known_cities=known_cities())
    _check_funders_kept(program, merged.funders)
    before = snapshot(program)
    delta = merged.budget_fen - program.budget_fen
    for name, value in merged.columns().items():
        if name != "budget_fen":
            setattr(program, name, canonical if name == "rules" else value)
    session.flush()
    if delta:
        authority = _authority(session, program.authority_org_id)
        _move(session, program, authority, delta, user_id, "budget changed")
    after = snapshot(program)
    audit.record(session, action="program.update", object_type="program",
                 object_id=program.id, organisation_id=program.authority_org_id,
                 before={k: v for k, v in before.items() if after[k] != v},
                 after={k: v for k, v in after.items() if before[k] != v})
    return program


def _check_funders_kept(program: Program, funders: list[dict[str, Any]]) -> None:
    """Funders and their shares are fixed once the program exists (its money already sits
    in their accounts); their names and labels may change."""
    if [f["share"] for f in funders] != [f["share"] for f in program.funders or []]:
        raise Conflict("funders and their shares are fixed once the program is created",
                       field="funders")


def set_rules(session: Session, *, program: Program, tree: Any,
              user_id: int | None) -> Program:
    """Replace the eligibility rules; a tree that can never pass is refused (422, path)."""
    return update(session, program=program, changes={"rules": tree}, user_id=user_id)


def set_status(session: Session, *, program: Program, status: ProgramStatus) -> Program:
    """Publish a draft or close a published program (closing is final)."""
    allowed = {ProgramStatus.DRAFT: {ProgramStatus.PUBLISHED},
               ProgramStatus.PUBLISHED: {ProgramStatus.CLOSED}}
    current = ProgramStatus(program.status)
    if status == current:
        return program
    if status not in allowed.get(current, set()):
        raise Conflict(f"a {current} program cannot become {status}", field="status")
    program.status = status
    session.flush()
    audit.record(session, action=f"program.{'publish' if status == 'published' else 'close'}",
                 object_type="program", object_id=program.id,
                 organisation_id=program.authority_org_id,
                 before={"status": str(current)}, after={"status": str(status)})
    return program


def fund(session: Session, *, program: Program, amount_fen: int, user_id: int | None,
         reason: str = "top-up", funder: int | None = None) -> ProgramFunding:
    """Add (positive) or return (negative) budget; a return beyond what is left is refused.
    Co-funded: split by share, or to and from one funder's account alone (`funder`, 1 for
    the first). Concurrent fundings of one program queue on its row and are all kept."""
    program = _locked(session, program)
    if amount_fen == 0:
        raise ValidationFailed("must not be zero", field="amount_cny")
    if funder is not None and not 1 <= funder <= len(program.funders or []):
        raise ValidationFailed(f"the program has {len(program.funders or [])} funders; name "
                               "one of them (1 = the first)" if program.funders else
                               "only a co-funded program funds one funder", field="funder")
    if program.status == ProgramStatus.CLOSED and amount_fen > 0:
        raise Conflict("a closed program takes no new funds", field="amount_cny")
    authority = _authority(session, program.authority_org_id)
    text = clean(reason, field="reason", limit=200)
    return _move(session, program, authority, amount_fen, user_id, text,
                 None if funder is None else funder - 1)


def _locked(session: Session, program: Program) -> Program:
    locked = repository.lock(session, program.id)
    if locked is None:
        raise NotFound(f"no program {program.id}", field="program_id")
    return locked


def _move(session: Session, program: Program, authority: Organisation, amount: int,
          user_id: int | None, reason: str, funder: int | None = None) -> ProgramFunding:
    seq = repository.next_funding_seq(session, program.id)
    transfer_id = f"program-fund:{program.id}:{seq}"
    # The row first: its unique transfer id stops a concurrent twin before the ledger moves.
    funding = repository.add_funding(session, ProgramFunding(
        program_id=program.id, seq=seq, amount_fen=amount, transfer_id=transfer_id,
        reason=reason[:200], created_by=user_id, funder_index=funder))
    treasury, budget = treasury_code(authority), program.budget_account
    try:
        if program.funders:
            cofund.fund(session, program, treasury=treasury, amount=amount,
                        transfer_id=transfer_id, funder=funder)
        else:
                ledger.transfer(session, id=transfer_id, debit=treasury if amount > 0 else budget,
                            credit=budget if amount > 0 else treasury, amount=abs(amount),
                            reason="program-fund" if amount > 0 else "program-defund",
                            ref=f"program:{program.id}")
    except ExceedsCredits as exc:
        raise BudgetExhausted("the budget has less left than this would take back",
                              field="budget_cny") from exc
    before = program.budget_fen
    program.budget_fen = before + amount
    session.flush()
    audit.record(session, action="program.fund", object_type="program", object_id=program.id,
                 organisation_id=program.authority_org_id,
                 before={"budget_fen": before},
                 after={"budget_fen": program.budget_fen, "transfer": transfer_id,
                        "reason": reason, "funder": funder})
    if amount > 0:
        for hook in _budget_added:
            hook(session, program)
    return funding


def create_from_preset(session: Session, *, authority_org_id: int, key: str,
                       opens_at: datetime, user_id: int | None,
                       overrides: Mapping[str, Any] | None = None) -> Program:
    """A draft program from a city preset (unknown key: 422 naming `preset`)."""
    preset = presets.get(key)
    if preset is None:
        raise ValidationFailed(f"no preset {key!r}", field="preset")
    data = preset.settings(opens_at=opens_at)
    for name, value in (overrides or {}).items():
        setattr(data, name, value)
    return create(session, authority_org_id=authority_org_id, data=data, user_id=user_id,
                  preset_key=key)


def available_fen(session: Session, program: Program) -> int:
    """What the budget can still issue (the ledger's available balance; co-funded: the sum
    over the funders' accounts)."""
    if program.funders:
        return sum(cofund.available(session, program))
    return ledger.balance(session, program.budget_account).available
