"""Balance alerts: a voucher holder's low-balance threshold and a bureau's budget threshold,
each checked by the reminders job and fired once per threshold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.kit.errors import NotFound
from suanli.notifications import permissions as perms
from suanli.notifications import repository as repo
from suanli.notifications import service
from suanli.programs import service as programs
from suanli.programs.models import Program
from suanli.vouchers import service as vouchers
from suanli.vouchers.models import Voucher


@dataclass(frozen=True)
class Watched:
    """A voucher or program, its available balance and its threshold (None: not set)."""

    kind: str  # "voucher" or "program"
    id: int
    name: str
    available_fen: int
    threshold_fen: int | None


def watched(session: Session, *, principal: Principal) -> list[Watched]:
    """The caller's active vouchers and own programs with their balances and thresholds."""
    out: list[Watched] = []
    holders = principal.org_ids_with(perms.VOUCHER_ALERTS)
    if holders:
        held = repo.active_vouchers(session, holder_ids=holders)
        limits = service.thresholds(session, "voucher", [v.id for v in held])
        balances = vouchers.balances(session, held)
        out += [Watched("voucher", v.id, f"#{v.id}", balances[v.id].available,
                        limits.get(v.id)) for v in held]
    authorities = principal.org_ids_with(perms.BUDGET_ALERTS)
    if authorities:
        owned = repo.programs_of(session, authorities)
        limits = service.thresholds(session, "program", [p.id for p in owned])
        out += [Watched("program", p.id, p.name, programs.available_fen(session, p),
                        limits.get(p.id)) for p in owned]
    return out


def _voucher(session: Session, principal: Principal, voucher_id: int) -> Voucher:
    voucher = vouchers.get(session, voucher_id)
    if voucher.holder_org_id not in principal.org_ids_with(perms.VOUCHER_ALERTS):
        raise NotFound(f"no voucher {voucher_id} of yours", field="voucher_id")
    return voucher


def _program(session: Session, principal: Principal, program_id: int) -> Program:
    program = programs.get(session, program_id)
    if program.authority_org_id not in principal.org_ids_with(perms.BUDGET_ALERTS):
        raise NotFound(f"no program {program_id} of yours", field="program_id")
    return program


def set_voucher_threshold(session: Session, *, principal: Principal, voucher_id: int,
                          threshold_fen: int | None) -> int | None:
    """The holder's low-balance threshold for one voucher (None: none)."""
    voucher = _voucher(session, principal, voucher_id)
    row = service.set_threshold(session, subject_type="voucher", subject_id=voucher.id,
                                organisation_id=voucher.holder_org_id,
                                threshold_fen=threshold_fen, user_id=principal.user_id)
    return None if row is None else row.threshold_fen


def set_budget_threshold(session: Session, *, principal: Principal, program_id: int,
                         threshold_fen: int | None) -> int | None:
    """The bureau's threshold for one program's budget (None: none)."""
    program = _program(session, principal, program_id)
    row = service.set_threshold(session, subject_type="program", subject_id=program.id,
                                organisation_id=program.authority_org_id,
                                threshold_fen=threshold_fen, user_id=principal.user_id)
    return None if row is None else row.threshold_fen
