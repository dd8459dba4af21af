"""The worlds bench/http_load.py loads Suanli with, built by the real services: a platform
operator with two ledger accounts (transfers, GET /me); a buyer with cash, a provider's
attested 16-GPU cluster with a live week-long offer (orders, instant buys); a contract over
two whole days that have ended (usage reports). Each request is unique (ids, refs, hours)."""

from __future__ import annotations

import itertools
import json
import sys
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' world builder

from tests.settlement.world import Org, build_world

from suanli import migrate
from suanli.auth import service as auth_service
from suanli.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.posting import AccountKind
from suanli.market import offers_service
from suanli.market.capacity import next_whole_hour
from suanli.market.schemas import OfferCreate

OFFER_HOURS = 168  # the live offer's window: 16 GPUs x 168 h of one-GPU-hour buys


@dataclass
class World:
    tokens: dict[str, str]  # role -> bearer token
    offer_id: int
    offer_start: Any
    contract_id: int
    contract_start: Any


def _member(session: Any, role: Role, tokens: dict[str, str]) -> Org:
    kind = next(iter(sorted(ROLE_ORG_KINDS[role])))
    slug = f"{kind}-{uuid.uuid4().hex[:8]}"
    org = auth_service.create_organisation(session, slug=slug, name=slug.title(),
                                           kind=OrgKind(kind))
    user = auth_service.create_user(session, username=f"u-{slug}", display_name=slug,
                                    password="correct horse battery",
                                    memberships=[(slug, role)])
    tokens[str(role)] = auth_service.issue_token(session, user=user, name="bench").secret
    return Org(org.id, slug)


def build(url: str) -> World:
    """Migrate `url` and build the world on it, committed."""
    migrate.upgrade(url)
    engine = make_engine(url)
    tokens: dict[str, str] = {}
    with unit_of_work(make_sessionmaker(engine)) as s:
        _member(s, Role.PLATFORM_ADMIN, tokens)
        ledger.open_account(s, code="treasury:bench", kind=AccountKind.TREASURY,
                            owner_org_id=None, name="Treasury")
        ledger.open_account(s, code="buyer-cash:bench", kind=AccountKind.BUYER_CASH,
                            owner_org_id=None, name="Sink")
        world = build_world(s, lambda role: _member(s, role, tokens), days_ago=6,
                            cash_fen=10**11)
        start = next_whole_hour(utcnow())
        offer = offers_service.create_offer(s, org_ids={world.cluster.organisation_id},
                                            data=OfferCreate(
            cluster_id=world.cluster.id, gpus=16, start_at=start,
            end_at=start + timedelta(hours=OFFER_HOURS), ask_cny_per_gpu_hour="10.00"))
        s.flush()
        built = World(tokens, offer.id, start, world.contract.id, world.contract.start_at)
    engine.dispose()
    return built


Make = Any  # (thread, n) -> (method, path, body)


def requests(world: World) -> dict[str, tuple[str, Make]]:
    """Scenario -> (the role whose token it sends, its request maker)."""
    counter = itertools.count()  # next() on it is atomic under the GIL: unique numbers

    def transfer(t: int, n: int) -> tuple[str, str, str | None]:
        return "POST", "/api/v1/ledger/transfers", json.dumps({
            "id": f"bench-{t}-{n}", "debit": "treasury:bench", "credit": "buyer-cash:bench",
            "amount": "1.00", "reason": "bench"})

    def order(t: int, n: int) -> tuple[str, str, str | None]:
        start = world.offer_start + timedelta(hours=next(counter) % 100)
        return "POST", "/api/v1/market/orders", json.dumps({
            "accelerators": ["h20"], "gpus": 1, "duration_hours": 1,
            "earliest_start": start.isoformat(),
            "latest_end": (start + timedelta(hours=24)).isoformat(),
            "limit_cny_per_gpu_hour": "12.00"})

    def buy(t: int, n: int) -> tuple[str, str, str | None]:
        # Round-robin over the offer's hours: each hour's 16 GPUs fill evenly.
        start = world.offer_start + timedelta(hours=1 + next(counter) % (OFFER_HOURS - 2))
        return "POST", "/api/v1/market/instant-buys", json.dumps({
            "offer_id": world.offer_id, "gpus": 1, "hours": 1, "start_at": start.isoformat()})

    def usage(t: int, n: int) -> tuple[str, str, str | None]:
        start = world.contract_start + timedelta(seconds=next(counter) % (40 * 3600))
        return "POST", "/api/v1/metering/usage", json.dumps({"records": [{
            "contract_id": world.contract_id, "ref": f"bench-{t}-{n}", "gpus": 1,
            "start": start.isoformat(), "end": (start + timedelta(seconds=60)).isoformat()}]})

    return {"transfers": (Role.PLATFORM_ADMIN, transfer),
            "me": (Role.PLATFORM_ADMIN, lambda t, n: ("GET", "/api/v1/me", None)),
            "orders": (Role.BUYER, order), "buys": (Role.BUYER, buy),
            "usage": (Role.PROVIDER, usage)}
