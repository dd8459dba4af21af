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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger import service as ledger
from tests.faults.books import whole
from tests.faults.burst import BURST, SINK, Call, money_calls, send, stored
from tests.faults.server import Server


def _burst(server: Server, calls: list[Call], kill_after: float) -> list[tuple[int, Any]]:
    """Send every call at once; SIGKILL the server `kill_after` seconds after the first
    answer that moved money."""
    barrier, answered = threading.Barrier(len(calls) + 1), threading.Event()

    def one(call: Call) -> tuple[int, Any]:
        barrier.wait()
        status, body = send(server.url, call)
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


def test_server_killed_mid_burst_loses_or_keeps_each_request_whole(server: Server) -> None:
    calls = money_calls(server)
    answers = _burst(server, calls, kill_after=random.Random(14).uniform(0.02, 0.1))
    seen = Counter(status for status, _ in answers)
    assert seen[0], f"the kill came after the burst: {seen}"
    assert seen[200] + seen[201], f"the kill came before any answer: {seen}"
    whole(server.database, "after the server was killed")
    keys, moved, bought = stored(server.database)
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
        again, answer = send(server.url, call)  # every one, with its key: none twice
        assert again in (200, 201), (call[3], status, again, answer)
        if keys.get(call[3]):  # stored before the kill: the replay is the stored answer
            assert answer == json.loads(keys[call[3]]), call[3]
    _, moved_after, bought_after = stored(server.database)
    assert len(bought_after) == len(set(bought_after)) == BURST // 2
    assert moved_after == {c[2]["id"] for c in calls if "transfers" in c[0]}
    assert set(bought) <= set(bought_after)
    whole(server.database, "after the restart and the replays")
    engine = make_engine(server.database)
    with unit_of_work(make_sessionmaker(engine)) as session:
        assert ledger.balance(session, SINK).posted == (BURST // 2) * 100
    engine.dispose()
