"""Links on the top bar and on each role's home card. Domains append their pages here."""

from __future__ import annotations

from dataclasses import dataclass

from suanli.auth.principal import Principal
from suanli.auth.roles import Role


@dataclass(frozen=True)
class Link:
    label: str  # a message key
    href: str
    roles: frozenset[Role]
    top: bool = False  # also shown in the top bar


LINKS: list[Link] = [
    Link("nav.tokens", "/tokens", frozenset(Role), top=False),
    Link("nav.audit", "/audit", frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN}), top=True),
]


def home_links(role: Role) -> list[Link]:
    return [link for link in LINKS if role in link.roles]


def nav_items(principal: Principal) -> list[Link]:
    roles = principal.roles
    seen: set[str] = set()
    items = []
    for link in LINKS:
        if link.top and roles & link.roles and link.href not in seen:
            seen.add(link.href)
            items.append(link)
    return items
