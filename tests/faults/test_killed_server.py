"""The server killed with SIGKILL in the middle of a burst of money-moving requests (issue
14, Faults): after a restart every request the client saw succeed is stored exactly once,
and every one it saw fail is either absent or found by replaying it with the same
Idempotency-Key; nothing is applied twice and the books verify."""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from suanli.auth.roles import Role
from suanli.catalog.service import load_reference_data
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.idempotency import IdempotencyRecord
from suanli.ledger import service as ledger
from suanli.ledger.models import Transfer
from suanli.ledger.posting import AccountKind
from suanli.market.models import Contract
from tests.faults.books import whole
from tests.faults.server import Server
from tests.market.helpers import deposit, hour, iso, listable_cluster, post_offer
from tests.races.conftest import Live

BURST = 48
TREASURY, SINK = "treasury:fault", "buyer-cash:fault"
Call = tuple[str, dict[str, str], dict[str, Any], str]  # path, headers, body, key


@pytest.fixture
def server(fresh_database: str, tmp_path: Path, cheap_passwords: None) -> Iterator[Server]:
    engine = make_engine(fresh_database)
    with unit_of_work(make_sessionmaker(engine)) as session:
        load_reference_data(session)
    engine.dispose()
    running = Server(fresh_database, tmp_path)
    running.start()
    yield running
    running.stop()


def _calls(server: Server) -> list[Call]:
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


def _send(url: str, call: Call) -> tuple[int, Any]:
    """(status, body); status 0 when the connection failed."""
    path, headers, body, key = call
    try:
        r = httpx.post(url + path, json=body, headers={**headers, "Idempotency-Key": key},
                       timeout=30)
    except httpx.HTTPError as exc:
        return 0, repr(exc)
    return r.status_code, r.json()


def _burst(server: Server, calls: list[Call], kill_after: float) -> list[tuple[int, Any]]:
    """Send every call at once; SIGKILL the server `kill_after` seconds after the first
    answer that moved money."""
    barrier, answered = threading.Barrier(len(calls) + 1), threading.Event()

    def one(call: Call) -> tuple[int, Any]:
        barrier.wait()
        status, body = _send(server.url, call)
        if status in (200, 201):
            answered.set()
        return status, body

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(one, c) for c in calls]
        barrier.wait()
        assert answered.wait(timeout=60), "no request succeeded"
        time.sleep(kill_after)
        server.kill()
        return [f.result() for f in futures]


def _stored(url: str) -> tuple[dict[str, str], set[str], list[str]]:
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


def test_server_killed_mid_burst_loses_or_keeps_each_request_whole(server: Server) -> None:
    calls = _calls(server)
    answers = _burst(server, calls, kill_after=random.Random(14).uniform(0.1, 0.3))
    seen = Counter(status for status, _ in answers)
    assert seen[0], f"the kill came after the burst: {seen}"
    assert seen[200] + seen[201], f"the kill came before any answer: {seen}"
    whole(server.database, "after the server was killed")
    keys, moved, bought = _stored(server.database)
    for (path, _, body, key), (status, answer) in zip(calls, answers, strict=True):
        if status in (200, 201):  # seen to succeed: stored
            assert key in keys, key
            if "transfers" in path:
                assert body["id"] in moved
            else:
                assert str(answer["id"]) in bought
        elif key not in keys:  # seen to fail and absent: nothing of it is stored
            assert "transfers" not in path or body["id"] not in moved
    server.start()
    for call, (status, _) in zip(calls, answers, strict=True):
        again, answer = _send(server.url, call)  # every one, with its key: none twice
        assert again in (200, 201), (call[3], status, again, answer)
        if keys.get(call[3]):  # stored before the kill: the replay is the stored answer
            assert answer == json.loads(keys[call[3]]), call[3]
    _, moved_after, bought_after = _stored(server.database)
    assert len(bought_after) == len(set(bought_after)) == BURST // 2
    assert moved_after == {c[2]["id"] for c in calls if "transfers" in c[0]}
    assert set(bought) <= set(bought_after)
    whole(server.database, "after the restart and the replays")
    engine = make_engine(server.database)
    with unit_of_work(make_sessionmaker(engine)) as session:
        assert ledger.balance(session, SINK).posted == (BURST // 2) * 100
    engine.dispose()
