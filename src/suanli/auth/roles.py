"""Organisation kinds, roles, and the permissions each role grants (pure).

Each domain declares its permissions in its own `permissions.py` with `define()`,
naming the roles that hold them; routes ask for a permission, never for a role.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class OrgKind(StrEnum):
    AUTHORITY = "authority"
    STARTUP = "startup"
    PROVIDER = "provider"
    PLATFORM = "platform"
    REGULATOR = "regulator"


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    PROGRAM_ADMIN = "program_admin"
    REVIEWER = "reviewer"
    BUYER = "buyer"
    PROVIDER = "provider"
    AUDITOR = "auditor"


# Which organisation kinds a role may be held in: a buyer belongs to a startup, and so on.
ROLE_ORG_KINDS: dict[Role, frozenset[OrgKind]] = {
    Role.PLATFORM_ADMIN: frozenset({OrgKind.PLATFORM}),
    Role.PROGRAM_ADMIN: frozenset({OrgKind.AUTHORITY}),
    Role.REVIEWER: frozenset({OrgKind.AUTHORITY}),
    Role.BUYER: frozenset({OrgKind.STARTUP}),
    Role.PROVIDER: frozenset({OrgKind.PROVIDER}),
    Role.AUDITOR: frozenset({OrgKind.REGULATOR}),
}

ALL_ROLES = frozenset(Role)


class Perm(str):
    """A permission's name, such as `ledger.read_all`; made only through `define()`."""

    __slots__ = ()


_REGISTRY: dict[str, frozenset[Role]] = {}


def define(name: str, roles: Iterable[Role]) -> Perm:
    """Declare a permission and the roles that hold it (once per name)."""
    holders = frozenset(roles)
    if name in _REGISTRY and _REGISTRY[name] != holders:
        raise ValueError(f"permission {name} defined twice with different roles")
    _REGISTRY[name] = holders
    return Perm(name)


def roles_with(perm: str) -> frozenset[Role]:
    """Every role that holds a permission."""
    return _REGISTRY[perm]


def role_has(role: Role, perm: str) -> bool:
    return role in _REGISTRY.get(perm, frozenset())


def all_permissions() -> dict[str, frozenset[Role]]:
    return dict(_REGISTRY)


PA, PGA, REV, BUY, PRO, AUD = (Role.PLATFORM_ADMIN, Role.PROGRAM_ADMIN, Role.REVIEWER,
                               Role.BUYER, Role.PROVIDER, Role.AUDITOR)

AUTHENTICATED = define("authenticated", ALL_ROLES)
ORG_READ_ALL = define("org.read_all", {PA, AUD})
ORG_MANAGE = define("org.manage", {PA})
USER_MANAGE = define("user.manage", {PA})
AUDIT_READ = define("audit.read", {PA, AUD})
