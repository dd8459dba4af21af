"""Stored verifications: who may run them, what they record, and when a result is stale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from suanli.audit.models import AuditRecord
from suanli.auth.roles import Role
from suanli.integrity import service as integrity
from suanli.integrity.models import IntegrityCheck
from suanli.kit.timeutil import utcnow
from suanli.ledger.models import Transfer


def test_checking_now_records_both_subjects_with_their_counts(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    auditor = member(Role.AUDITOR)
    before = client.get("/api/v1/integrity/checks/latest", headers=auditor.headers).json()
    assert before == {"audit_chain": None, "ledger": None, "capacity": None, "stale": True}
    made = client.post("/api/v1/integrity/checks", headers=auditor.headers)
    assert made.status_code == 201, made.text
    body = made.json()
    records = db.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    transfers = db.execute(select(func.count()).select_from(Transfer)).scalar_one()
    assert body["audit_chain"]["ok"] is True
    assert body["audit_chain"]["counts"] == {"records": records}
    assert body["ledger"]["counts"]["transfers"] == transfers
    assert body["capacity"]["ok"] is True
    assert body["capacity"]["counts"] == {"clusters": 0, "offers": 0, "contracts": 0}
    assert body["audit_chain"]["requested_by"] == auditor.user.display_name
    assert body["stale"] is False
    latest = client.get("/api/v1/integrity/checks/latest", headers=auditor.headers).json()
    assert latest == body
    home = client.get("/", headers=auditor.headers).text
    assert 'data-testid="dash-capacity" data-ok="true"' in home
    assert "0 clusters, 0 offers, 0 contracts" in home
    assert db.execute(select(func.count()).select_from(IntegrityCheck)).scalar_one() == 3


@pytest.mark.parametrize("role", [Role.BUYER, Role.PROVIDER, Role.PROGRAM_ADMIN, Role.REVIEWER])
def test_only_auditors_and_operators_check(role: Role, client: TestClient,
                                           member: Callable[..., Any], db: Session) -> None:
    other = member(role)
    assert client.post("/api/v1/integrity/checks", headers=other.headers).status_code == 403
    assert client.get("/api/v1/integrity/checks/latest",
                      headers=other.headers).status_code == 403
    assert db.execute(select(func.count()).select_from(IntegrityCheck)).scalar_one() == 0


def test_a_result_older_than_a_day_is_stale(db: Session, member: Callable[..., Any]) -> None:
    member(Role.AUDITOR)
    latest = integrity.check_now(db, by=integrity.Requester("test"))
    assert latest.audit is not None and not latest.stale(latest.audit)
    latest.audit.finished_at = utcnow() - integrity.STALE_AFTER - timedelta(minutes=1)
    db.flush()
    again = integrity.latest(db)
    assert again.stale(again.audit) and not again.stale(again.ledger)
    assert again.stale(None)


def test_the_commands_store_their_results(fresh_database: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from suanli.cli import app
    from suanli.config import get_settings
    from suanli.kit.db import make_engine

    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0
        assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
        engine = make_engine(fresh_database)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_records (seq, at, actor, action, object_type, "
                              "object_id, prev_hash, hash) VALUES (1, '2026-01-01 00:00:00', "
                              "'mallory', 'x', 'x', '1', 'bad', 'bad')"))
        assert runner.invoke(app, ["audit", "verify"]).exit_code == 1
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT subject, ok, requested_by FROM integrity_checks "
                                     "ORDER BY id")).all()
        engine.dispose()
    finally:
        get_settings.cache_clear()
    assert [(s, bool(ok), by) for s, ok, by in rows] == [
        ("ledger", True, "suanli ledger verify"), ("audit_chain", True, "suanli audit verify"),
        ("audit_chain", False, "suanli audit verify")]
