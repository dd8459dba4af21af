"""A burst of money-moving requests, each with an Idempotency-Key, and what of it is
stored."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from suanli.auth.roles import Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.idempotency import IdempotencyRecord
from suanli.ledger import service as ledger
from suanli.ledger.models import Transfer
from suanli.ledger.posting import AccountKind
from suanli.market.models import Contract
from tests.faults.server import Server
from tests.market.helpers import deposit, hour, iso, listable_cluster, post_offer
from tests.races.conftest import Live

BURST = 48
TREASURY, SINK = "treasury:fault", "buyer-cash:fault"
Call = tuple[str, dict[str, str], dict[str, Any], str]  # path, headers, body, key


def money_calls(server: Server) -> list[Call]:
    """Half instant buys of one GPU, half 1.00 CNY transfers, each with a key of its own."""
    engine = make_engine(server.database)
    factory = make_sessionmaker(engine)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        live = Live(server.url, engine, factory, client)
        provider = live.member(Role.PROVIDER, "fault-dc")
        buyer = live.member(Role.BUYER, "fault-ai")
        admin = live.member(Role.PLATFORM_ADMIN, "fault-platform")
        cluster = listable_cluster(client, provider, nodes=2, gpus_per_node=8)
        offer = post_offer(client, provider, cluster["id"], gpus=16)["id"]
        deposit(client, admin, "fault-ai", "100000.00")
    with unit_of_work(factory) as session:
        ledger.open_account(session, code=TREASURY, kind=AccountKind.TREASURY,
                            owner_org_id=None, name="Treasury")
        ledger.open_account(session, code=SINK, kind=AccountKind.BUYER_CASH, owner_org_id=None,
                            name="Sink", debits_must_not_exceed_credits=True)
    engine.dispose()
    calls: list[Call] = []
    for i in range(BURST):
        if i % 2:
            calls.append(("/api/v1/market/instant-buys", buyer,
                          {"offer_id": offer, "start_at": iso(hour(1 + i % 5)), "gpus": 1,
                           "hours": 2}, f"buy-{i}"))
        else:
            calls.append(("/api/v1/ledger/transfers", admin,
                          {"id": f"fault-{i}", "debit": TREASURY, "credit": SINK,
                           "amount": "1.00", "reason": "fault"}, f"move-{i}"))
    return calls


def send(url: str, call: Call) -> tuple[int, Any]:
    """(status, body); status 0 when the connection failed."""
    path, headers, body, key = call
    try:
        r = httpx.post(url + path, json=body, headers={**headers, "Idempotency-Key": key},
                       timeout=30)
    except httpx.HTTPError as exc:
        return 0, repr(exc)
    return r.status_code, r.json()


def stored(url: str) -> tuple[dict[str, str], set[str], list[str]]:
    """Idempotency keys stored with their answers' bodies, transfer ids, contract ids."""
    engine = make_engine(url)
    with unit_of_work(make_sessionmaker(engine)) as session:
        keys = {r.key: (r.body or b"").decode() for r in
                session.execute(select(IdempotencyRecord)).scalars()}
        moved = set(session.execute(select(Transfer.id)
                                    .where(Transfer.id.like("fault-%"))).scalars())
        bought = [str(c.id) for c in session.execute(select(Contract)).scalars()]
    engine.dispose()
    return keys, moved, bought
