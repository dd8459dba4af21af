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
    Link("nav.help", "/help", frozenset(Role), top=False),
    Link("nav.usage_upload", "/providers/usage", frozenset({Role.PROVIDER}), top=False),
    Link("nav.audit", "/audit", frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN}), top=True),
    Link("nav.ledger", "/ledger", frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN}), top=True),
    Link("nav.catalog", "/catalog/accelerators", frozenset(Role), top=False),
    Link("nav.hubs", "/catalog/hubs", frozenset(Role), top=False),
    Link("nav.data_centres", "/providers/data-centres",
         frozenset({Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.clusters", "/providers/clusters",
         frozenset({Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.compliance", "/compliance", frozenset({Role.AUDITOR, Role.PLATFORM_ADMIN}),
         top=True),
    Link("nav.programs", "/programs", frozenset({Role.PROGRAM_ADMIN, Role.REVIEWER,
                                                 Role.BUYER, Role.PLATFORM_ADMIN,
                                                 Role.AUDITOR}), top=True),
    Link("nav.budget", "/programs/budget",
         frozenset({Role.PROGRAM_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=False),
    Link("nav.applications", "/applications", frozenset({Role.BUYER}), top=True),
    Link("nav.review", "/review", frozenset({Role.REVIEWER}), top=True),
    Link("nav.wallet", "/vouchers", frozenset({Role.BUYER}), top=True),
    Link("nav.market_offers", "/market/offers",
         frozenset({Role.BUYER, Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=False),
    Link("nav.market_orders", "/market/orders", frozenset({Role.BUYER}), top=True),
    Link("nav.market_provider_offers", "/market/provider/offers", frozenset({Role.PROVIDER}),
         top=True),
    Link("nav.market_contracts", "/market/contracts",
         frozenset({Role.BUYER, Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.market_rounds", "/market/rounds",
         frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.invoices", "/invoices",
         frozenset({Role.BUYER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.models", "/models",
         frozenset({Role.BUYER, Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=False),
    Link("nav.credit_bills", "/credit-bills",
         frozenset({Role.BUYER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=False),
    Link("nav.statements", "/statements",
         frozenset({Role.PROVIDER, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.claims", "/claims", frozenset({Role.PROGRAM_ADMIN, Role.PROVIDER, Role.BUYER,
                                             Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.reports", "/reports",
         frozenset({Role.PROGRAM_ADMIN, Role.PLATFORM_ADMIN, Role.AUDITOR}), top=True),
    Link("nav.market_report", "/reports/market",
         frozenset({Role.PLATFORM_ADMIN, Role.AUDITOR}), top=False),
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
