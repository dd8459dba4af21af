"""Concurrent writers and readers with real commits, threads and processes, and writers
killed with SIGKILL in the middle of a batch."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import make_sessionmaker, reader, unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.ledger.models import Account, Transfer
from suanli.ledger.posting import AccountKind
from suanli.ledger.verify import verify
from tests.ledger.conftest import CASH, PROVIDER, TREASURY, VOUCHER, counts
from tests.ledger.worker import batch_specs

ROOT = Path(__file__).resolve().parents[2]
WORKER = [sys.executable, "-m", "tests.ledger.worker"]


def all_at_once(n: int, job: Callable[[int], Any]) -> list[Any]:
    """Run job(0..n-1) on n threads released together."""
    barrier = threading.Barrier(n)

    def run(i: int) -> Any:
        barrier.wait()
        return job(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def assert_clean(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as session:
        verdict = verify(session)
    assert verdict.ok, verdict.problem


def test_double_spend_race_threads(chart: sessionmaker[Session]) -> None:
    def spend(i: int) -> str:
        try:
            with unit_of_work(chart) as session:
                ledger.transfer(session, id=f"spend-{i}", debit=VOUCHER, credit=PROVIDER,
                                amount=600, reason="race")
        except ExceedsCredits:
            return "refused"
        return "spent"

    outcomes = all_at_once(8, spend)
    assert sorted(outcomes) == ["refused"] * 7 + ["spent"]
    with unit_of_work(chart) as session:
        assert ledger.balance(session, VOUCHER).posted == 400
        assert counts(session) == (2, 4)
    assert_clean(chart)


def test_double_spend_race_processes(chart: sessionmaker[Session], fresh_database: str) -> None:
    procs = [subprocess.Popen([*WORKER, "spend", fresh_database, VOUCHER, PROVIDER, "600",
                               f"proc-{i}"], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for i in range(4)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [json.loads(proc.communicate(timeout=120)[0].strip().splitlines()[-1])
                   for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert sum(r["ok"] for r in results) == 1, results
    assert all(r["ok"] or r["error"] == "ExceedsCredits" for r in results)
    with unit_of_work(chart) as session:
        assert ledger.balance(session, VOUCHER).posted == 400
    assert_clean(chart)


def test_replay_storm(chart: sessionmaker[Session]) -> None:
    """Each request sent 1-5 times at once under one id: one transfer, identical answers."""
    copies = {f"storm-{i}": 1 + i % 5 for i in range(8)}
    jobs = [rid for rid, n in copies.items() for _ in range(n)]
    random.Random(4).shuffle(jobs)

    def send(i: int) -> Any:
        rid = jobs[i]
        with unit_of_work(chart) as session:
            return ledger.transfer(session, id=rid, debit=TREASURY, credit=CASH,
                                   amount=100 + int(rid.split("-")[1]), reason="storm")

    by_id: dict[str, list[Any]] = defaultdict(list)
    for result in all_at_once(len(jobs), send):
        by_id[result.id].append(result)
    for rid, answers in by_id.items():
        assert len(answers) == copies[rid]
        assert sum(not a.replayed for a in answers) == 1
        assert len({a.__class__(**{**a.__dict__, "replayed": False}) for a in answers}) == 1
    with unit_of_work(chart) as session:
        assert counts(session)[0] == 1 + len(copies)
        assert ledger.balance(session, CASH).posted == sum(100 + i for i in range(8))
    assert_clean(chart)


def _bank_writer(sessions: sessionmaker[Session], seed: int, stop: threading.Event,
                 accepted: list[tuple[str, int]]) -> int:
    rnd, n, refused = random.Random(seed), 0, 0
    while not stop.is_set():
        a, b = rnd.sample(range(5), 2)
        amount = rnd.randint(1, 4000)
        try:
            with unit_of_work(sessions) as session:
                result = ledger.transfer(session, id=f"w{seed}-{n}", debit=f"bank:{a}",
                                         credit=f"bank:{b}", amount=amount, reason="bank")
            accepted.append((result.id, amount))
        except ExceedsCredits:
            refused += 1
        n += 1
    return refused


def _bank_reader(engine: Engine, stop: threading.Event, problems: list[str]) -> int:
    sessions = make_sessionmaker(reader(engine))
    stmt = select(Account.code, Account.debits_posted, Account.credits_posted,
                  Account.debits_pending, Account.credits_pending)
    reads = 0
    while not stop.is_set():
        with sessions() as session:
            rows = session.execute(stmt).all()
        reads += 1
        if sum(r.credits_posted - r.debits_posted for r in rows) != 0:
            problems.append(f"read {reads}: posted balances do not sum to zero")
        if sum(r.debits_pending for r in rows) != sum(r.credits_pending for r in rows):
            problems.append(f"read {reads}: pending debits differ from credits")
        banks = [r for r in rows if r.code.startswith("bank:")]
        if sum(r.credits_posted - r.debits_posted for r in banks) != 50_000:
            problems.append(f"read {reads}: money appeared or vanished among the banks")
        problems += [f"read {reads}: {r.code} below zero" for r in banks
                     if r.credits_posted < r.debits_posted + r.debits_pending]
    return reads


def test_bank(committed: sessionmaker[Session], fresh_engine: Engine) -> None:
    """Random transfers among five hot accounts while readers sum every balance."""
    with unit_of_work(committed) as session:
        ledger.open_account(session, code=TREASURY, kind=AccountKind.TREASURY,
                            owner_org_id=None, name="T")
        for i in range(5):
            ledger.open_account(session, code=f"bank:{i}", kind=AccountKind.BUYER_CASH,
                                owner_org_id=None, name=f"B{i}",
                                debits_must_not_exceed_credits=True)
            ledger.transfer(session, id=f"open-{i}", debit=TREASURY, credit=f"bank:{i}",
                            amount=10_000, reason="open")
    stop, accepted, problems = threading.Event(), [], []  # type: ignore[var-annotated]
    with ThreadPoolExecutor(6) as pool:
        writers = [pool.submit(_bank_writer, committed, seed, stop, accepted)
                   for seed in range(4)]
        readers = [pool.submit(_bank_reader, fresh_engine, stop, problems) for _ in range(2)]
        time.sleep(2.5)
        stop.set()
        refused = sum(w.result() for w in writers)
        reads = sum(r.result() for r in readers)
    assert not problems, problems[:5]
    assert reads > 10 and len(accepted) > 20 and refused >= 0
    with unit_of_work(committed) as session:
        stored = session.execute(select(func.count()).select_from(Transfer)
                                 .where(Transfer.reason == "bank")).scalar_one()
        assert stored == len(accepted) == len({rid for rid, _ in accepted})
    assert_clean(committed)


def _run_batch_killed(url: str, tag: str, count: int, delay: float | None
                      ) -> tuple[list[str], float]:
    """Start a batch writer; SIGKILL it `delay` seconds after it starts its batch (None: let
    it finish). Returns what it said and the seconds from its start signal to its end."""
    proc = subprocess.Popen([*WORKER, "batch", url, tag, str(count)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "started"
    started = time.perf_counter()
    if delay is not None:
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=120)
    return ["started", *out.split()], time.perf_counter() - started


def test_kill_mid_batch_leaves_all_or_nothing(chart: sessionmaker[Session],
                                              fresh_database: str) -> None:
    count = 1000
    said, duration = _run_batch_killed(fresh_database, "calibrate", count, None)
    assert said[-1] == "committed"
    outcomes = []
    # 0.0 kills as soon as the batch starts: under load the calibration run can take many
    # times longer than the later ones, and the test must still see a kill before the commit.
    fractions = (0.0, 0.05, 0.4, 0.8, 1.3)
    for round_, fraction in enumerate(fractions):
        tag = f"kill{round_}"
        said, _ = _run_batch_killed(fresh_database, tag, count, duration * fraction)
        with unit_of_work(chart) as session:
            stored = session.execute(select(func.count()).select_from(Transfer)
                                     .where(Transfer.id.like(f"{tag}-%"))).scalar_one()
        assert stored in (0, count), f"round {round_}: {stored} of {count} transfers survived"
        if "committed" in said:
            assert stored == count  # an acknowledged batch is never lost
        outcomes.append(stored == count)
        assert_clean(chart)
        # The writer cannot know whether its batch landed: retrying it must not double it.
        with unit_of_work(chart) as session:
            results = ledger.batch(session, batch_specs(tag, count))
        assert all(r.replayed for r in results) == (stored == count)
    assert not all(outcomes), "no kill landed before the commit; the test proved nothing"
    with unit_of_work(chart) as session:
        moved = sum(s.amount for s in batch_specs("x", count))
        # the calibration batch, and each round's batch (killed or not, then retried)
        assert ledger.balance(session, TREASURY).posted == -1000 - (1 + len(fractions)) * moved
    assert_clean(chart)
