"""The reviewers' side: the queue, decisions with a reason and a value, held-up issuance."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.applications import checks, repository, service, states
from suanli.applications.models import Application
from suanli.applications.states import ApplicationStatus as S
from suanli.kit.errors import AppError, Conflict, NotFound, ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import utcnow
from suanli.programs import service as programs
from suanli.programs.models import Program
from suanli.programs.text import clean
from suanli.vouchers import service as vouchers

BASE_TIER = "base"
QUEUE = (S.NEEDS_REVIEW, S.AUTO_APPROVED, S.APPROVED)
MAX_REASON = 1000


def queue(session: Session, *, authority_ids: Collection[int] | None) -> list[Application]:
    """What waits for the reviewers of these authorities (None: all), oldest first."""
    return repository.applications(session, authority_ids=authority_ids, statuses=QUEUE,
                                   oldest_first=True)


def _locked(session: Session, application_id: int,
            authority_ids: Collection[int] | None) -> Application:
    application = repository.lock(session, application_id)
    if application is None:
        raise NotFound(f"no application {application_id}", field="application_id")
    if authority_ids is not None:
        program = programs.get(session, application.program_id)
        if program.authority_org_id not in authority_ids:
            raise NotFound(f"no application {application_id}", field="application_id")
    return application


def _reason(reason: str | None) -> str:
    if not (reason or "").strip():
        raise ValidationFailed("give the reason for the decision", field="reason")
    return clean(reason, field="reason", limit=MAX_REASON)


def decide(session: Session, *, application_id: int, approve: bool, reason: str | None,
           value_fen: int | None, user_id: int | None,
           authority_ids: Collection[int] | None, now: datetime | None = None,
           tier: str | None = None) -> Application:
    """Approve (with a value within the program's range; the voucher is issued at once, or
    when the budget cannot cover it, once budget is added) or reject an application that
    needs review. The reason is required either way. `tier` sets the rate tier (a key of the
    program's tiers, or "base"); by default the one the rules chose stays."""
    now = now or utcnow()
    text = _reason(reason)
    application = _locked(session, application_id, authority_ids)
    target = S.APPROVED if approve else S.REJECTED
    states.check(application.status, target)
    if not approve:
        _decided(application, text, user_id, now)
        service.move(session, application, S.REJECTED, user_id=user_id, now=now, reason=text)
        return application
    if value_fen is None:
        raise ValidationFailed("set the voucher's value", field="value_cny")
    program = programs.get(session, application.program_id)
    vouchers.check_value(program, value_fen)
    if tier is not None:
        application.tier_key = _tier(program, tier)
    if not _agreed(session, application, program, value_fen, user_id, text, now):
        return application
    _decided(application, text, user_id, now)
    checks.yearly_cap(session, program, application.organisation_id, value_fen, now,
                      field="value_cny", tier_key=application.tier_key)
    application.value_fen = value_fen
    service.move(session, application, S.APPROVED, user_id=user_id, now=now, reason=text)
    service.try_issue(session, application, program, user_id=user_id, now=now)
    return application


def _decided(application: Application, reason: str, user_id: int | None,
             now: datetime) -> None:
    application.decision_reason = reason
    application.decided_by = user_id
    application.decided_at = now


def _agreed(session: Session, application: Application, program: Program, value_fen: int,
            user_id: int | None, reason: str, now: datetime) -> bool:
    """Whether the approval may go ahead: above the program's threshold, only as the second
    of two reviewers who agree on the value (the first approval is recorded, and waits)."""
    threshold = program.second_review_above_fen
    if threshold is None or value_fen <= threshold:
        return True
    approvals = list(application.approvals or [])
    mine = {"user_id": user_id, "value_fen": value_fen, "reason": reason, "at": now.isoformat()}
    if not approvals:
        application.approvals = [mine]
        service.note(session, application, user_id=user_id, now=now, reason=(
            f"First approval ({format_cny_grouped(value_fen)} CNY): above "
            f"{format_cny_grouped(threshold)} CNY a second reviewer must agree. {reason}"))
        return False
    first = approvals[0]
    if first["user_id"] == user_id:
        raise Conflict("you approved it already; a second reviewer must agree",
                       field="decision")
    if first["value_fen"] != value_fen:
        raise Conflict(f"the first reviewer approved {format_cny_grouped(first['value_fen'])} "
                       "CNY; agree on that value or reject", field="value_cny")
    application.approvals = [*approvals, mine]
    return True


def _tier(program: Program, key: str) -> str | None:
    if key == BASE_TIER:
        return None
    known = [t["key"] for t in program.tiers or []]
    if key not in known:
        raise ValidationFailed(f"no tier {key!r}; this program's tiers: "
                               f"{', '.join([BASE_TIER, *known])}", field="tier")
    return key


def issue_pending(session: Session, *, application_id: int, user_id: int | None,
                  authority_ids: Collection[int] | None, now: datetime | None = None
                  ) -> Application:
    """Issue the voucher of an approved application the budget could not cover before."""
    now = now or utcnow()
    application = _locked(session, application_id, authority_ids)
    if application.status not in states.AWAITING_VOUCHER:
        raise Conflict(f"the application is {application.status}; only an approved one "
                       "waits for its voucher", field="status")
    program = programs.get(session, application.program_id)
    return service.issue_for(session, application, program, user_id=user_id, now=now)


MAX_BATCH = 100


@dataclass(frozen=True)
class BatchResult:
    application_id: int
    status: str | None  # after the decision; None when refused
    error: AppError | None


def decide_batch(session: Session, *, application_ids: Collection[int], approve: bool,
                 reason: str | None, user_id: int | None,
                 authority_ids: Collection[int] | None, now: datetime | None = None
                 ) -> list[BatchResult]:
    """Batch review (a call's applications at once): one decision and reason for each;
    an approval grants what each asked for (the program's default when it asked for
    nothing). Each is decided on its own: one refused leaves the others decided."""
    now = now or utcnow()
    if not 1 <= len(application_ids) <= MAX_BATCH:
        raise ValidationFailed(f"name 1 to {MAX_BATCH} applications", field="application_ids")
    out = []
    for application_id in dict.fromkeys(application_ids):
        try:
            with session.begin_nested():
                value = None
                if approve:
                    found = _locked(session, application_id, authority_ids)
                    program = programs.get(session, found.program_id)
                    value = found.requested_value_fen or program.default_value_fen
                done = decide(session, application_id=application_id, approve=approve,
                              reason=reason, value_fen=value, user_id=user_id,
                              authority_ids=authority_ids, now=now)
            out.append(BatchResult(application_id, str(done.status), None))
        except AppError as exc:
            out.append(BatchResult(application_id, None, exc))
    return out
