"""Concurrent approvals that together exceed the budget: exactly the ones that fit are
issued, the others stay approved and wait for budget.

Runs on a database of its own with real commits, one thread and one transaction per
reviewer, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from suanli.applications import review, service
from suanli.applications.states import ApplicationStatus as S
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.errors import AppError
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.vouchers import repository as voucher_repo
from tests.programs.factory import MILLION, make_program, passing_profile

APPLICANTS = 8
FITS = 5


def _setup(factory: sessionmaker[Session]) -> tuple[int, int, list[int]]:
    with unit_of_work(factory) as db:
        authority = auth_service.create_organisation(db, slug="bureau", name="Bureau",
                                                     kind=OrgKind.AUTHORITY)
        program = make_program(db, authority.id, budget_fen=FITS * MILLION,
                               cap_per_firm_fen=None)
        ids = []
        for n in range(APPLICANTS):
            org = auth_service.create_organisation(db, slug=f"startup-{n}", name=f"S{n}",
                                                   kind=OrgKind.STARTUP)
            service.save_profile(db, organisation_id=org.id, user_id=None,
                                 values=passing_profile(credit_record=None))
            application = service.create(db, program=program, organisation_id=org.id,
                                         user_id=None)
            service.submit(db, application=application, user_id=None)
            assert application.status == S.NEEDS_REVIEW
            ids.append(application.id)
        return authority.id, program.id, ids


def _race(jobs: list[Callable[[], Any]]) -> list[object]:
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except Exception as exc:  # collected and checked by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_approvals_never_exceed_the_budget(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    authority_id, program_id, ids = _setup(factory)

    def approve(application_id: int) -> Callable[[], str]:
        def job() -> str:
            with unit_of_work(factory) as db:
                done = review.decide(db, application_id=application_id, approve=True,
                                     reason="checked", value_fen=MILLION, user_id=None,
                                     authority_ids={authority_id})
                return str(done.status)
        return job

    results = _race([approve(i) for i in ids])
    issued = [r for r in results if r == S.VOUCHER_ISSUED]
    waiting = [r for r in results if r == S.APPROVED]
    assert len(issued) == FITS, results
    assert len(waiting) == APPLICANTS - FITS, results
    with unit_of_work(factory) as db:
        assert ledger.balance(db, f"program-budget:{program_id}").available == 0
        vouchers = voucher_repo.vouchers(db, program_ids=[program_id])
        assert len(vouchers) == FITS
        assert sum(v.face_value_fen for v in vouchers) == FITS * MILLION
        assert verify(db).ok
    engine.dispose()


def test_concurrent_duplicates_leave_one_application(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as db:
        authority = auth_service.create_organisation(db, slug="bureau", name="Bureau",
                                                     kind=OrgKind.AUTHORITY)
        program_id = make_program(db, authority.id).id
        org_id = auth_service.create_organisation(db, slug="acme", name="Acme",
                                                  kind=OrgKind.STARTUP).id

    def create() -> int:
        from suanli.programs import service as programs

        with unit_of_work(factory) as db:
            program = programs.get(db, program_id)
            return service.create(db, program=program, organisation_id=org_id,
                                  user_id=None).id

    results = _race([create for _ in range(4)])
    made = [r for r in results if isinstance(r, int)]
    assert len(made) == 1, results
    assert all(isinstance(r, AppError) and r.extra.get("rule") == "duplicate"
               for r in results if not isinstance(r, int)), results
    engine.dispose()
