"""Requests are served while a settlement is in the middle of its transaction: reads do
not stand behind it (SQLite: the settlement holds the write lock; GETs read a WAL snapshot)
and see none of it until it commits (issue 14: 38 of 150 requests sent during a long
settlement answered 500)."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from suanli.app import create_app
from suanli.auth import service as auth_service
from suanli.auth.roles import Role
from suanli.kit.db import make_engine, make_sessionmaker, reader, unit_of_work
from suanli.metering import service as metering
from suanli.metering.models import UsageRecord
from suanli.settlement import service, worker
from suanli.settlement.models import ContractSettlement
from tests.settlement.committed import committed_world
from tests.settlement.usage import use

BOUND_S = 10.0  # generous: the point is that no request waits for the settlement's end


def test_requests_are_served_while_a_settlement_runs(fresh_database: str) -> None:
    world = committed_world(fresh_database)
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        use(s, world, *[(m / 60, (m + 1) / 60, 1) for m in range(300)])
        user = auth_service.create_user(s, username="reader", display_name="Reader",
                                        password="correct horse battery",
                                        memberships=[(world.buyer.org_slug, Role.BUYER)])
        headers = {"Authorization": "Bearer "
                   + auth_service.issue_token(s, user=user, name="t").secret}
    inside, release, outcome = threading.Event(), threading.Event(), list[Any]()

    def pause(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO USAGE_SETTLED"):
            inside.set()  # the day is priced, its holds moved: the transaction is open
            release.wait(60)

    def settle() -> None:
        try:
            with unit_of_work(factory) as s:
                outcome.append(service.settle_period(s, period_end=world.day1))
        except BaseException as exc:  # reported by the test, not lost in the thread
            outcome.append(exc)

    event.listen(engine, "before_cursor_execute", pause)
    job = threading.Thread(target=settle)
    job.start()
    app = create_app(sessions=make_sessionmaker(make_engine(fresh_database)))
    try:
        assert inside.wait(60), outcome
        with TestClient(app) as client:
            for path in ("/api/v1/me", "/api/v1/settlement/invoices",
                         f"/api/v1/metering/contracts/{world.contract.id}/usage"):
                began = time.monotonic()
                response = client.get(path, headers=headers)
                assert response.status_code == 200, (path, response.text)
                assert time.monotonic() - began < BOUND_S, path
            invoices = client.get("/api/v1/settlement/invoices", headers=headers).json()
            assert invoices["total"] == 0  # nothing of the open settlement is seen
            assert job.is_alive()  # it was really in the middle all along
            release.set()
            job.join(60)
            (report,) = outcome
            assert not isinstance(report, BaseException), report
            assert report.settled == 1
            invoices = client.get("/api/v1/settlement/invoices", headers=headers).json()
            assert invoices["total"] == 1
    finally:
        release.set()
        job.join(60)
        event.remove(engine, "before_cursor_execute", pause)
        engine.dispose()


def test_usage_imported_while_a_day_settles_is_billed_once_never_lost(
        fresh_database: str) -> None:
    """An import still open when the settlement starts: the settlement waits for it (the
    per-contract barrier on PostgreSQL, the write lock on SQLite) and bills its record, even
    where a later import of the same contract, with larger ids, committed first."""
    world = committed_world(fresh_database)
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        use(s, world, (1, 2, 8), ref="before")
    imported, go, outcome = threading.Event(), threading.Event(), list[Any]()

    def slow_import() -> None:
        with unit_of_work(factory) as s:
            use(s, world, (3, 4, 8), ref="open")  # ids taken, not committed yet
            imported.set()
            go.wait(60)

    def settle() -> None:
        try:
            with unit_of_work(factory) as s:
                outcome.append(service.settle_period(s, period_end=world.day1))
        except BaseException as exc:
            outcome.append(exc)

    importer, job = threading.Thread(target=slow_import), threading.Thread(target=settle)
    importer.start()
    try:
        assert imported.wait(60)
        expected = 2
        if engine.dialect.name == "postgresql":  # SQLite has one writer: no such race
            with unit_of_work(factory) as s:
                use(s, world, (5, 6, 8), ref="later")  # larger ids, committed first
            expected = 3
        job.start()
        time.sleep(1.0)
        assert job.is_alive() and not outcome  # waiting for the open import
    finally:
        go.set()
        importer.join(60)
    job.join(60)
    (report,) = outcome
    assert not isinstance(report, BaseException), report
    with unit_of_work(factory) as s:
        (row,) = s.query(ContractSettlement).all()
        billable = s.execute(select(func.sum(UsageRecord.billable_gpu_seconds))).scalar_one()
        assert (row.records, row.gpu_seconds) == (expected, billable)
        left = metering.unsettled(s, contract_id=world.contract.id, until=None)
        assert left.records == 0
    engine.dispose()


def test_a_run_commits_each_contract_on_its_own(fresh_database: str) -> None:
    """While the second contract settles, the first one's settlement is committed already:
    no writer waits for the whole run (`worker.settle_in_batches`)."""
    first, second = committed_world(fresh_database), committed_world(fresh_database)
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as s:
        use(s, first, (1, 2, 8))
        use(s, second, (1, 2, 8))
    marks, seen = list[int](), list[int]()

    def look(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO USAGE_SETTLED"):
            marks.append(1)
            if len(marks) == 2:  # the second contract, before its mark: what is committed?
                other = make_engine(fresh_database)
                with reader(other).connect() as conn:  # a read: no write lock wanted
                    seen.extend(conn.execute(select(ContractSettlement.contract_id)).scalars())
                other.dispose()

    event.listen(engine, "before_cursor_execute", look)
    try:
        report = worker.settle_in_batches(factory, period_end=first.day1)
    finally:
        event.remove(engine, "before_cursor_execute", look)
        engine.dispose()
    assert report.settled == 2 and not report.failed
    assert seen == [first.contract.id]
