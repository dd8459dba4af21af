"""SQL of the applications domain."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.applications.models import Application, ApplicationEvent, StartupProfile
from suanli.applications.states import AWAITING_VOUCHER, ApplicationStatus
from suanli.programs.models import Program


def profile_of(session: Session, organisation_id: int) -> StartupProfile | None:
    stmt = select(StartupProfile).where(StartupProfile.organisation_id == organisation_id)
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, row: StartupProfile | Application | ApplicationEvent) -> None:
    session.add(row)
    session.flush()


def get(session: Session, application_id: int) -> Application | None:
    return session.get(Application, application_id)


def lock(session: Session, application_id: int) -> Application | None:
    """The application, re-read and locked for a decision (a concurrent one waits)."""
    stmt = (select(Application).where(Application.id == application_id).with_for_update()
            .execution_options(populate_existing=True))
    return session.execute(stmt).scalar_one_or_none()


def waiting_for_budget(session: Session, program_id: int) -> list[Application]:
    """The program's approved applications without a voucher yet, oldest first, locked;
    one that a reviewer is issuing right now is skipped (waiting for it would deadlock)."""
    stmt = (select(Application)
            .where(Application.program_id == program_id,
                   Application.status.in_([str(s) for s in AWAITING_VOUCHER]),
                   Application.voucher_id.is_(None))
            .order_by(Application.id).with_for_update(skip_locked=True)
            .execution_options(populate_existing=True))
    return list(session.execute(stmt).scalars())


def open_of(session: Session, *, program_id: int, organisation_id: int) -> Application | None:
    stmt = select(Application).where(Application.program_id == program_id,
                                     Application.organisation_id == organisation_id,
                                     Application.open_slot.is_(True))
    return session.execute(stmt).scalar_one_or_none()


def applications(session: Session, *, organisation_ids: Collection[int] | None = None,
                 authority_ids: Collection[int] | None = None,
                 statuses: Collection[ApplicationStatus] | None = None,
                 program_id: int | None = None, oldest_first: bool = False
                 ) -> list[Application]:
    """Applications by applicant and by the authority running the program (None: any)."""
    stmt = select(Application)
    if authority_ids is not None:
        stmt = stmt.join(Program, Program.id == Application.program_id).where(
            Program.authority_org_id.in_(list(authority_ids)))
    if organisation_ids is not None:
        stmt = stmt.where(Application.organisation_id.in_(list(organisation_ids)))
    if statuses:
        stmt = stmt.where(Application.status.in_([str(s) for s in statuses]))
    if program_id is not None:
        stmt = stmt.where(Application.program_id == program_id)
    order = Application.id.asc() if oldest_first else Application.id.desc()
    return list(session.execute(stmt.order_by(order)).scalars())


def events(session: Session, application_id: int) -> list[ApplicationEvent]:
    stmt = select(ApplicationEvent).where(ApplicationEvent.application_id == application_id)
    return list(session.execute(stmt.order_by(ApplicationEvent.id)).scalars())


def issued_in_call(session: Session, call_id: int) -> int:
    """The value of the vouchers issued to a call's applications."""
    stmt = select(func.coalesce(func.sum(Application.value_fen), 0)).where(
        Application.call_id == call_id, Application.voucher_id.is_not(None))
    return int(session.execute(stmt).scalar_one() or 0)
