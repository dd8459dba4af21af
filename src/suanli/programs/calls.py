"""Calls for applications: windows with a slice of the program's budget each.

A program with calls takes applications only while one of them is open; what a call's
applications are issued may not exceed its slice (the applications domain checks at issue,
under the call's row lock), and the slices together may not exceed the program's budget.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.programs.models import Program, ProgramCall
from suanli.programs.text import clean


def of(session: Session, program_id: int) -> list[ProgramCall]:
    """The program's calls, in the order they open."""
    stmt = select(ProgramCall).where(ProgramCall.program_id == program_id)
    return list(session.scalars(stmt.order_by(ProgramCall.opens_at, ProgramCall.id)))


def get(session: Session, call_id: int, *, lock: bool = False) -> ProgramCall | None:
    stmt = select(ProgramCall).where(ProgramCall.id == call_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def create(session: Session, *, program: Program, name: str, opens_at: datetime,
           closes_at: datetime, budget_fen: int, user_id: int | None) -> ProgramCall:
    """A new call; refused (field named) when its window is empty, its slice is not
    positive, or the slices would exceed the program's budget."""
    text = clean(name, field="name", limit=200)
    if not text:
        raise ValidationFailed("must not be blank", field="name")
    if closes_at <= opens_at:
        raise ValidationFailed("must be after the call opens", field="closes_at")
    if budget_fen <= 0:
        raise ValidationFailed("must be more than 0", field="budget_cny")
    sliced = session.scalar(select(func.coalesce(func.sum(ProgramCall.budget_fen), 0))
                            .where(ProgramCall.program_id == program.id)) or 0
    if sliced + budget_fen > program.budget_fen:
        raise ValidationFailed(
            f"the calls would slice {format_cny_grouped(sliced + budget_fen)} CNY of a budget "
            f"of {format_cny_grouped(program.budget_fen)} CNY", field="budget_cny")
    call = ProgramCall(program_id=program.id, name=text, opens_at=opens_at,
                       closes_at=closes_at, budget_fen=budget_fen, created_by=user_id)
    session.add(call)
    session.flush()
    audit.record(session, action="program.call", object_type="program", object_id=program.id,
                 organisation_id=program.authority_org_id,
                 after={"call_id": call.id, "name": text, "budget_fen": budget_fen,
                        "opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()})
    return call


def open_call(session: Session, program: Program, now: datetime,
              call_id: int | None = None) -> ProgramCall | None:
    """The call an application made now belongs to: the one named, else the open one that
    closes first; None for a program without calls. Refused when none is open."""
    calls = of(session, program.id)
    if not calls:
        if call_id is not None:
            raise NotFound(f"program {program.id} has no calls", field="call_id")
        return None
    if call_id is not None:
        named = [c for c in calls if c.id == call_id]
        if not named:
            raise NotFound(f"no call {call_id} in program {program.id}", field="call_id")
        calls = named
    live = [c for c in calls if c.opens_at <= now < c.closes_at]
    if not live:
        upcoming = [c for c in calls if c.opens_at > now]
        hint = f"; the next opens {upcoming[0].opens_at.date().isoformat()}" if upcoming \
            else ""
        raise ValidationFailed(f"no call of this program is open now{hint}", field="call_id")
    return min(live, key=lambda c: (c.closes_at, c.id))
