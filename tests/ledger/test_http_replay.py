"""A replay storm over HTTP: each correction sent 1-5 times at once under one
Idempotency-Key, against an app on a database whose commits are real."""

from __future__ import annotations

import random
from collections import defaultdict

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.app import create_app
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.kit.db import unit_of_work
from suanli.ledger import service as ledger
from suanli.ledger.models import Transfer
from suanli.ledger.verify import verify
from tests.conftest import PASSWORD
from tests.ledger.conftest import CASH, TREASURY
from tests.ledger.test_concurrency import all_at_once


def admin_token(sessions: sessionmaker[Session]) -> str:
    with unit_of_work(sessions) as session:
        auth_service.create_organisation(session, slug="ops", name="Ops", kind=OrgKind.PLATFORM)
        user = auth_service.create_user(session, username="ops-admin", display_name="Ops",
                                        password=PASSWORD,
                                        memberships=[("ops", Role.PLATFORM_ADMIN)])
        return auth_service.issue_token(session, user=user, name="storm").secret


def test_replay_storm_over_http(chart: sessionmaker[Session]) -> None:
    token = admin_token(chart)
    app = create_app(sessions=chart)
    copies = {f"fix-{i}": 1 + i % 5 for i in range(6)}
    jobs = [key for key, n in copies.items() for _ in range(n)]
    random.Random(7).shuffle(jobs)

    def send(i: int) -> tuple[str, int, bytes]:
        key = jobs[i]
        body = {"id": key, "debit": TREASURY, "credit": CASH, "amount": "5.25",
                "reason": "correction"}
        response = TestClient(app).post(
            "/api/v1/ledger/transfers", json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"k-{key}"})
        return key, response.status_code, response.content

    answers: dict[str, set[tuple[int, bytes]]] = defaultdict(set)
    for key, status, content in all_at_once(len(jobs), send):
        answers[key].add((status, content))
    for key, distinct in answers.items():
        assert len(distinct) == 1, (key, distinct)  # identical answers
        assert next(iter(distinct))[0] == 201
    with unit_of_work(chart) as session:
        stored = session.execute(select(func.count()).select_from(Transfer)
                                 .where(Transfer.reason == "correction")).scalar_one()
        assert stored == len(copies)
        assert ledger.balance(session, CASH).posted == len(copies) * 525
        assert verify(session).ok
