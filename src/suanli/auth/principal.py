"""Who is calling, and what their memberships let them do (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from suanli.auth.roles import OrgKind, Perm, Role, role_has


@dataclass(frozen=True)
class Grant:
    organisation_id: int
    organisation_slug: str
    organisation_kind: OrgKind
    role: Role


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...] = ()
    via: str = "session"
    csrf_token: str | None = field(default=None, repr=False)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def can(self, perm: Perm) -> bool:
        """Whether any membership grants the permission."""
        return any(role_has(g.role, perm) for g in self.grants)

    def org_ids(self, *roles: Role) -> frozenset[int]:
        """Organisations where the caller holds one of `roles` (any role when none given)."""
        return frozenset(
            g.organisation_id for g in self.grants if not roles or g.role in roles
        )

    def org_ids_with(self, perm: Perm) -> frozenset[int]:
        """Organisations in which the caller holds a role granting `perm`."""
        return frozenset(g.organisation_id for g in self.grants if role_has(g.role, perm))

    def has_role(self, role: Role, organisation_id: int | None = None) -> bool:
        return any(
            g.role == role and (organisation_id is None or g.organisation_id == organisation_id)
            for g in self.grants
        )

    @property
    def primary(self) -> Grant | None:
        """The first membership: the organisation a page acts for by default."""
        return self.grants[0] if self.grants else None
