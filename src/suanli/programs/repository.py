"""SQL of the programs domain."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.programs.models import Program, ProgramFunding, ProgramStatus


def get(session: Session, program_id: int) -> Program | None:
    return session.get(Program, program_id)


def lock(session: Session, program_id: int) -> Program | None:
    """The program, re-read and held until the transaction ends, so that budget changes
    of one program happen one at a time (FOR NO KEY UPDATE on PostgreSQL: rows naming the
    program keep taking their share lock; SQLite's BEGIN IMMEDIATE already serialises)."""
    stmt = (select(Program).where(Program.id == program_id).with_for_update(key_share=True)
            .execution_options(populate_existing=True))
    return session.execute(stmt).scalar_one_or_none()


def add(session: Session, program: Program) -> Program:
    session.add(program)
    session.flush()
    return program


def programs(session: Session, *, authority_ids: Collection[int] | None,
             public: bool, statuses: Collection[ProgramStatus] | None = None,
             city: str | None = None) -> list[Program]:
    """Programs of `authority_ids` (None: every authority), plus every non-draft one when
    `public`, newest first."""
    stmt = select(Program).order_by(Program.id.desc())
    if authority_ids is not None:
        own = Program.authority_org_id.in_(list(authority_ids))
        stmt = stmt.where(or_(own, Program.status != ProgramStatus.DRAFT) if public else own)
    elif public:
        stmt = stmt.where(Program.status != ProgramStatus.DRAFT)
    if statuses:
        stmt = stmt.where(Program.status.in_([str(s) for s in statuses]))
    if city:
        stmt = stmt.where(Program.city == city)
    return list(session.execute(stmt).scalars())


def by_preset(session: Session, authority_org_id: int, preset_key: str) -> Program | None:
    stmt = select(Program).where(Program.authority_org_id == authority_org_id,
                                 Program.preset_key == preset_key).order_by(Program.id)
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def next_funding_seq(session: Session, program_id: int) -> int:
    stmt = select(func.coalesce(func.max(ProgramFunding.seq), 0)).where(
        ProgramFunding.program_id == program_id)
    return int(session.execute(stmt).scalar_one()) + 1


def add_funding(session: Session, funding: ProgramFunding) -> ProgramFunding:
    session.add(funding)
    session.flush()
    return funding


def fundings(session: Session, program_id: int) -> list[ProgramFunding]:
    stmt = select(ProgramFunding).where(ProgramFunding.program_id == program_id)
    return list(session.execute(stmt.order_by(ProgramFunding.seq)).scalars())


def funded_totals(session: Session, program_ids: Collection[int]) -> dict[int, int]:
    if not program_ids:
        return {}
    stmt = (select(ProgramFunding.program_id, func.sum(ProgramFunding.amount_fen))
            .where(ProgramFunding.program_id.in_(list(program_ids)))
            .group_by(ProgramFunding.program_id))
    return {int(pid): int(total or 0) for pid, total in session.execute(stmt)}


def organisations(session: Session, ids: Iterable[int]) -> dict[int, Organisation]:
    """Organisations by id, read through the auth domain's repository."""
    wanted = frozenset(ids)
    if not wanted:
        return {}
    rows, _ = auth_repo.list_orgs(session, ids=wanted, limit=len(wanted), offset=0)
    return {org.id: org for org in rows}


def organisation(session: Session, org_id: int) -> Organisation | None:
    return organisations(session, [org_id]).get(org_id)
