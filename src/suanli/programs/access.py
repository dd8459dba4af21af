"""Which programs a caller may see and manage (pure: reads only the principal)."""

from __future__ import annotations

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.kit.errors import ValidationFailed
from suanli.programs import permissions as perms
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program


def managed_ids(principal: Principal) -> frozenset[int]:
    """Authorities whose programs the caller administers."""
    return principal.org_ids(Role.PROGRAM_ADMIN)


def reviewed_ids(principal: Principal) -> frozenset[int]:
    """Authorities whose applications the caller reviews."""
    return principal.org_ids(Role.REVIEWER)


def own_ids(principal: Principal) -> frozenset[int]:
    """Authorities the caller works for (administering or reviewing)."""
    return principal.org_ids(Role.PROGRAM_ADMIN, Role.REVIEWER)


def sees_all(principal: Principal) -> bool:
    return principal.can(perms.PROGRAMS_READ_ALL)


def can_see(principal: Principal, program: Program) -> bool:
    """Drafts only to their authority (and the platform and regulator); others to readers."""
    if sees_all(principal) or program.authority_org_id in own_ids(principal):
        return True
    return program.status != ProgramStatus.DRAFT and principal.can(perms.PROGRAMS_READ)


def can_manage(principal: Principal, program: Program) -> bool:
    return program.authority_org_id in managed_ids(principal)


def authority_for(principal: Principal, requested: int | None) -> int:
    """The authority a new program belongs to: the one asked for, or the caller's only one."""
    managed = managed_ids(principal)
    if requested is not None:
        if requested not in managed:
            raise ValidationFailed("you administer no such authority",
                                   field="authority_org_id")
        return requested
    if len(managed) != 1:
        raise ValidationFailed("name the authority: you administer several",
                               field="authority_org_id")
    return next(iter(managed))
