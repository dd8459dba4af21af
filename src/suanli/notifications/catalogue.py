"""The events people are told of (pure): which outbox kinds become which topic, who hears
of a topic, and where its message links to.

A *kind* is what a domain emitted ("application.approved"); a *topic* is what a user chooses
channels for and what a webhook receives as its `type` ("application.decided"). Kinds with
no topic (a draft application, a verification that passed) tell nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from suanli.auth.roles import Role

EVERYONE = "*"  # an audience of every holder of the roles, in any organisation


@dataclass(frozen=True)
class Audience:
    """Holders of `roles` in the organisation playing `part` in the event ("buyer",
    "provider", "authority", "claimant"), or in any organisation (`EVERYONE`)."""

    part: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class Topic:
    key: str
    audiences: tuple[Audience, ...]
    link: Callable[[Mapping[str, Any]], str]


def _to(part: str, *roles: Role) -> Audience:
    return Audience(part, frozenset(roles))


def _path(template: str) -> Callable[[Mapping[str, Any]], str]:
    def link(payload: Mapping[str, Any]) -> str:
        try:
            return template.format(**payload)
        except (KeyError, IndexError):
            return template.split("{", 1)[0].rstrip("/") or "/"
    return link


def _integrity_page(payload: Mapping[str, Any]) -> str:
    return "/ledger" if payload.get("subject") == "ledger" else "/audit"


BUYERS = _to("buyer", Role.BUYER)
PROVIDERS = _to("provider", Role.PROVIDER)
AUDITORS = _to(EVERYONE, Role.AUDITOR)
PLATFORM = _to(EVERYONE, Role.PLATFORM_ADMIN)
CLAIMANTS = _to("claimant", Role.BUYER, Role.PROVIDER)
APPLICATION = _path("/applications/{application_id}")
VOUCHER = _path("/vouchers/{voucher_id}")
CLUSTER = _path("/providers/clusters/{cluster_id}")
CLAIM = _path("/claims/{claim_id}")

TOPICS: tuple[Topic, ...] = (
    Topic("application.submitted", (BUYERS,), APPLICATION),
    Topic("application.needs_review", (_to("authority", Role.REVIEWER),), _path("/review")),
    Topic("application.decided", (BUYERS,), APPLICATION),
    Topic("voucher.issued", (BUYERS,), VOUCHER),
    Topic("voucher.expiring", (BUYERS,), VOUCHER),
    Topic("voucher.low_balance", (BUYERS,), VOUCHER),
    Topic("voucher.expired", (BUYERS,), VOUCHER),
    Topic("voucher.clawed_back", (BUYERS,), VOUCHER),
    Topic("order.matched", (BUYERS,), _path("/market/orders")),
    Topic("order.unmatched", (BUYERS,), _path("/market/orders")),
    Topic("contract.starting_soon", (BUYERS, PROVIDERS), _path("/market/contracts")),
    Topic("contract.started", (BUYERS, PROVIDERS), _path("/market/contracts")),
    Topic("contract.cancelled", (BUYERS, PROVIDERS), _path("/market/contracts")),
    Topic("contract.completed", (BUYERS, PROVIDERS), _path("/market/contracts")),
    Topic("invoice.issued", (BUYERS,), _path("/invoices/{invoice_id}")),
    Topic("claim.submitted", (_to("authority", Role.PROGRAM_ADMIN), CLAIMANTS), CLAIM),
    Topic("claim.approved", (CLAIMANTS,), CLAIM),
    Topic("claim.rejected", (CLAIMANTS,), CLAIM),
    Topic("compliance.case_opened", (AUDITORS, PROVIDERS), CLUSTER),
    Topic("compliance.case_decided", (PROVIDERS,), CLUSTER),
    Topic("attestation.mismatch", (PROVIDERS, AUDITORS), CLUSTER),
    Topic("program.budget_low", (_to("authority", Role.PROGRAM_ADMIN),),
          _path("/programs/budget")),
    Topic("settlement.run_failed", (PLATFORM,), _path("/invoices")),
    Topic("integrity.failed", (AUDITORS, PLATFORM), _integrity_page),
)
BY_KEY = {topic.key: topic for topic in TOPICS}

# Emitted kinds that are not a topic's own name.
ALIASES = {
    "application.auto_approved": "application.decided",
    "application.approved": "application.decided",
    "application.rejected": "application.decided",
    "contract.running": "contract.started",
}


def topic_of(kind: str) -> Topic | None:
    """The topic an emitted kind belongs to; None: nobody is told."""
    return BY_KEY.get(ALIASES.get(kind, kind))


def topics_for(roles: frozenset[Role]) -> list[Topic]:
    """The topics someone holding `roles` can hear of (for the preferences page)."""
    return [t for t in TOPICS if any(a.roles & roles for a in t.audiences)]
