"""Issuing vouchers through the ledger, reading their balances, expiry and clawback.

Issuing voucher V of program P moves its face value from `program-budget:P` to `voucher:V`
(transfer `voucher-issue:V`); the budget account may not go below zero, so a program never
issues more than its budget, whatever runs concurrently. Expiry and clawback return the
voucher's available balance to the budget (`voucher-expire:V`, `voucher-clawback:V`); money
that contracts still hold at that moment is returned by a later sweep once released.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.programs import cofund, tiers
from suanli.programs import service as programs
from suanli.programs import tranches as tranche_plan
from suanli.programs.enums import ProgramStatus
from suanli.programs.errors import BudgetExhausted
from suanli.programs.models import Program
from suanli.programs.text import clean
from suanli.vouchers import repository, tranches
from suanli.vouchers.models import ReturnKind, Voucher, VoucherReturn, VoucherStatus

SWEEP_CHUNK = 200
MAX_REASON = 500


@dataclass(frozen=True)
class VoucherBalance:
    face_value: int
    available: int  # what may still be spent (the ledger's available balance)
    held: int  # reserved by contracts (pending debits)
    spent: int  # posted debits other than returns to the program
    returned: int  # given back to the program by expiry or clawback
    awaiting: int = 0  # later tranches still held on the program's budget (milestones)


def snapshot(voucher: Voucher) -> dict[str, object]:
    return {"program_id": voucher.program_id, "holder_org_id": voucher.holder_org_id,
            "face_value_fen": voucher.face_value_fen, "status": str(voucher.status),
            "valid_until": voucher.valid_until, "application_id": voucher.application_id}


def get(session: Session, voucher_id: int, *, field: str = "voucher_id") -> Voucher:
    voucher = repository.get(session, voucher_id)
    if voucher is None:
        raise NotFound(f"no voucher {voucher_id}", field=field)
    return voucher


def check_value(program: Program, value_fen: int, *, field: str = "value_cny") -> None:
    """A voucher's value must lie within the program's range."""
    if not program.voucher_min_fen <= value_fen <= program.voucher_max_fen:
        raise ValidationFailed(
            f"must be between {format_cny_grouped(program.voucher_min_fen)} and "
            f"{format_cny_grouped(program.voucher_max_fen)} CNY", field=field)


def can_issue(session: Session, program: Program, value_fen: int,
              tier_key: str | None = None) -> bool:
    """Whether the program's budget has `value_fen` left now (a hint: `issue` decides);
    co-funded: whether every funder has its part left (by the tier's split)."""
    if program.funders:
        split = tiers.program_terms(program, tier_key).funder_shares_bp
        return cofund.can_cover(session, program, value_fen, split)
    return ledger.balance(session, program.budget_account).available >= value_fen


def issue(session: Session, *, program: Program, holder_org_id: int, value_fen: int,
          application_id: int | None, user_id: int | None,
          now: datetime | None = None, tier_key: str | None = None,
          affiliates: Collection[str] = ()) -> Voucher:
    """Issue a voucher of `value_fen` from the program's budget (BudgetExhausted when the
    budget cannot cover it; nothing is written then), with the rates of the applicant's
    tier (`tiers.program_terms`) and the program's contract terms; where the program refuses
    affiliated providers, the holder's declared `affiliates` are excluded."""
    now = now or utcnow()
    check_value(program, value_fen)
    if program.status == ProgramStatus.DRAFT:
        raise Conflict("a draft program issues no vouchers", field="program_id")
    if not can_issue(session, program, value_fen, tier_key):
        raise BudgetExhausted("the program's budget has less left than this voucher's value",
                              field="value_cny")
    terms = tiers.program_terms(program, tier_key)
    days = program.validity_days if terms.max_days is None \
        else min(program.validity_days, terms.max_days)
    voucher = Voucher(
        program_id=program.id, holder_org_id=holder_org_id, application_id=application_id,
        face_value_fen=value_fen, rate_state_bp=terms.rate_state_bp,
        rate_commercial_bp=terms.rate_commercial_bp, tier_key=terms.tier,
        domestic_bonus_bp=terms.domestic_bonus_bp, max_rate_bp=terms.max_rate_bp,
        provider_mode=program.provider_mode, provider_slugs=list(program.provider_slugs),
        excluded_providers=sorted(set(affiliates)) if program.no_affiliated_providers else [],
        max_contract_days=program.max_contract_days,
        contracts_signed_from=program.contracts_signed_from,
        funder_shares=None if terms.funder_shares_bp is None else list(terms.funder_shares_bp),
        unit=program.voucher_unit or "gpu_hours",
        valid_from=now, valid_until=now + timedelta(days=days),
        status=VoucherStatus.ACTIVE, issued_by=user_id, issued_at=now)
    repository.add(session, voucher)
    parts = tranche_plan.split(value_fen, list(program.tranches or []))
    try:
        _move_in(session, program, voucher, parts[0], now)
        tranches.hold_rest(session, voucher, program, parts, now=now)
    except ExceedsCredits as exc:  # a concurrent issue took the budget first
        raise BudgetExhausted("the program's budget has less left than this voucher's value",
                              field="value_cny") from exc
    audit.record(session, action="voucher.issue", object_type="voucher", object_id=voucher.id,
                 after=snapshot(voucher), organisation_id=holder_org_id)
    outbox.emit(session, "voucher.issued", subject=("voucher", voucher.id),
                orgs={"buyer": holder_org_id}, payload={"voucher_id": voucher.id, "program_id":
                program.id, "value_fen": value_fen, "valid_until": voucher.valid_until})
    return voucher


def _move_in(session: Session, program: Program, voucher: Voucher, amount: int,
             now: datetime) -> None:
    """The voucher's first part from the program's budget (co-funded: from each funder)."""
    code, transfer_id = _open_account(session, voucher), f"voucher-issue:{voucher.id}"
    if program.funders:
        cofund.issue(session, program, voucher_account=code, amount=amount,
                     transfer_id=transfer_id, now=now, split=voucher.funder_shares)
        return
    ledger.transfer(session, id=transfer_id, debit=program.budget_account, credit=code,
                    amount=amount, reason="voucher-issue", ref=f"program:{program.id}",
                    now=now)


def _open_account(session: Session, voucher: Voucher) -> str:
    ledger.open_account(session, code=voucher.account_code, kind=ledger.AccountKind.VOUCHER,
                        owner_org_id=voucher.holder_org_id, name=f"Voucher {voucher.id}",
                        debits_must_not_exceed_credits=True)
    return voucher.account_code


def balance(session: Session, voucher: Voucher) -> VoucherBalance:
    """The voucher's money as the ledger has it."""
    totals = ledger.balance(session, voucher.account_code)
    returned = repository.returned_totals(session, [voucher.id]).get(voucher.id, 0)
    return VoucherBalance(face_value=voucher.face_value_fen, available=totals.available,
                          held=totals.held, spent=totals.debits_posted - returned,
                          returned=returned, awaiting=totals.credits_pending)


def balances(session: Session, vouchers: list[Voucher]) -> dict[int, VoucherBalance]:
    returned = repository.returned_totals(session, [v.id for v in vouchers])
    out: dict[int, VoucherBalance] = {}
    for voucher in vouchers:
        totals = ledger.balance(session, voucher.account_code)
        back = returned.get(voucher.id, 0)
        out[voucher.id] = VoucherBalance(voucher.face_value_fen, totals.available, totals.held,
                                         totals.debits_posted - back, back,
                                         totals.credits_pending)
    return out


def _give_back(session: Session, voucher: Voucher, program_account: str, *, kind: ReturnKind,
               transfer_id: str, reason: str, user_id: int | None, now: datetime) -> int:
    """Return the voucher's available money to its program; returns the amount moved."""
    totals = ledger.balance(session, voucher.account_code)
    voucher.residual = totals.held > 0
    amount = totals.available
    if amount <= 0:
        return 0
    program = session.get(Program, voucher.program_id)
    cofunded = program is not None and bool(program.funders)
    earlier = [r.amount_fen for r in repository.returns_of(session, voucher.id)] \
        if cofunded else []
    repository.add(session, VoucherReturn(voucher_id=voucher.id, kind=kind, amount_fen=amount,
                                          transfer_id=transfer_id, reason=reason[:MAX_REASON],
                                          created_by=user_id, created_at=now))
    if cofunded and program is not None:
        cofund.give_back(session, program, voucher_account=voucher.account_code,
                         face_value=voucher.face_value_fen, earlier=earlier, amount=amount,
                         transfer_id=transfer_id, reason=f"voucher-{kind}",
                         ref=f"voucher:{voucher.id}", now=now, split=voucher.funder_shares)
    else:
        ledger.transfer(session, id=transfer_id, debit=voucher.account_code,
                        credit=program_account, amount=amount, reason=f"voucher-{kind}",
                        ref=f"voucher:{voucher.id}", now=now)
    return amount


@dataclass(frozen=True)
class SweepReport:
    expired: int
    returned_fen: int
    residual_returned_fen: int


def expire_due(session: Session, *, now: datetime | None = None) -> SweepReport:
    """Expire every active voucher past its validity and return its unspent money; also
    return what holds released from vouchers that closed while money was held.

    Safe to run twice or concurrently: an expired voucher is not expired again, rows are
    locked (others' skipped) and every transfer id is deterministic. The money returned
    issues the vouchers of applications waiting for budget (`programs.budget_returned`).
    """
    now = now or utcnow()
    expired = returned = 0
    refilled: set[int] = set()
    while batch := repository.due(session, now, limit=SWEEP_CHUNK):
        for voucher in batch:
            amount = _expire(session, voucher, now)
            returned += amount
            expired += 1
            if amount:
                refilled.add(voucher.program_id)
        session.flush()
    residual = 0
    for voucher in repository.residual(session, limit=10 * SWEEP_CHUNK):
        amount = _sweep_residual(session, voucher, now)
        residual += amount
        if amount:
            refilled.add(voucher.program_id)
    session.flush()
    programs.budget_returned(session, refilled)
    if expired or residual:
        audit.record(session, action="vouchers.expire", object_type="voucher",
                     object_id="sweep", after={"expired": expired, "returned_fen": returned,
                                               "residual_returned_fen": residual,
                                               "at": now.isoformat()})
    return SweepReport(expired, returned, residual)


def _expire(session: Session, voucher: Voucher, now: datetime) -> int:
    before = snapshot(voucher)
    tranches.void_pending(session, voucher, now=now)
    program_account = f"program-budget:{voucher.program_id}"
    amount = _give_back(session, voucher, program_account, kind=ReturnKind.EXPIRY,
                        transfer_id=f"voucher-expire:{voucher.id}",
                        reason="validity ended", user_id=None, now=now)
    voucher.status = VoucherStatus.EXPIRED
    voucher.closed_at = now
    voucher.close_reason = "validity ended"
    audit.record(session, action="voucher.expire", object_type="voucher", object_id=voucher.id,
                 before=before, after={**snapshot(voucher), "returned_fen": amount},
                 organisation_id=voucher.holder_org_id)
    outbox.emit(session, "voucher.expired", subject=("voucher", voucher.id),
                orgs={"buyer": voucher.holder_org_id}, payload={
                    "voucher_id": voucher.id, "program_id": voucher.program_id,
                    "returned_fen": amount})
    return amount


def _sweep_residual(session: Session, voucher: Voucher, now: datetime) -> int:
    seq = len(repository.returns_of(session, voucher.id)) + 1
    kind = ReturnKind.CLAWBACK if voucher.status == VoucherStatus.CLAWED_BACK \
        else ReturnKind.EXPIRY
    return _give_back(session, voucher, f"program-budget:{voucher.program_id}", kind=kind,
                      transfer_id=f"voucher-return:{voucher.id}:{seq}",
                      reason="released after closing", user_id=None, now=now)


def clawback(session: Session, *, voucher_id: int, reason: str, user_id: int | None,
             now: datetime | None = None) -> Voucher:
    """Withdraw an active voucher (fraud): its available money goes back to the program."""
    now = now or utcnow()
    if not (reason or "").strip():
        raise ValidationFailed("say why the voucher is clawed back", field="reason")
    reason = clean(reason, field="reason", limit=MAX_REASON)
    voucher = repository.lock(session, voucher_id)
    if voucher is None:
        raise NotFound(f"no voucher {voucher_id}", field="voucher_id")
    if voucher.status != VoucherStatus.ACTIVE:
        raise Conflict(f"the voucher is {voucher.status}; only an active voucher can be "
                       "clawed back", field="voucher_id")
    before = snapshot(voucher)
    tranches.void_pending(session, voucher, now=now)
    amount = _give_back(session, voucher, f"program-budget:{voucher.program_id}",
                        kind=ReturnKind.CLAWBACK, transfer_id=f"voucher-clawback:{voucher.id}",
                        reason=reason, user_id=user_id, now=now)
    voucher.status = VoucherStatus.CLAWED_BACK
    voucher.closed_at = now
    voucher.close_reason = reason
    session.flush()
    if amount:
        programs.budget_returned(session, [voucher.program_id])
    audit.record(session, action="voucher.clawback", object_type="voucher",
                 object_id=voucher.id, before=before,
                 after={**snapshot(voucher), "returned_fen": amount, "reason": reason},
                 organisation_id=voucher.holder_org_id)
    outbox.emit(session, "voucher.clawed_back", subject=("voucher", voucher.id),
                orgs={"buyer": voucher.holder_org_id}, payload={
                    "voucher_id": voucher.id, "program_id": voucher.program_id,
                    "returned_fen": amount, "reason": reason})
    return voucher
