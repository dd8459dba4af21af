"""The audit chain: every change is recorded; any edit or removal is detected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from suanli.audit import service
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work


def test_state_changes_are_recorded(db: Session, member: Callable[..., Any]) -> None:
    before = service.verify(db).checked
    member(Role.BUYER, org="audited-ai")
    records = db.execute(text(
        "SELECT action FROM audit_records ORDER BY seq DESC LIMIT 4")).scalars().all()
    assert "organisation.create" in records and "user.create" in records
    assert service.verify(db).checked > before
    assert service.verify(db).ok


def test_rolled_back_changes_leave_no_record(db: Session) -> None:
    before = service.verify(db).checked
    auth_service.create_organisation(db, slug="ghost-ai", name="Ghost", kind=OrgKind.STARTUP)
    db.rollback()
    db.commit()
    assert service.verify(db).checked == before


def _seed(url: str) -> None:
    with unit_of_work(make_sessionmaker(make_engine(url))) as session:
        for n in range(3):
            auth_service.create_organisation(session, slug=f"org-{n}", name=f"Org {n}",
                                             kind=OrgKind.STARTUP)


def _cli(url: str, monkeypatch: Any) -> tuple[int, str]:
    from suanli.cli import app
    from suanli.config import get_settings

    monkeypatch.setenv("SUANLI_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.output


def test_verify_cli_detects_an_edited_record(fresh_database: str, monkeypatch: Any) -> None:
    _seed(fresh_database)
    code, out = _cli(fresh_database, monkeypatch)
    assert code == 0, out
    assert "3 records" in out
    engine = make_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor = 'mallory' WHERE seq = 2"))
    code, out = _cli(fresh_database, monkeypatch)
    assert code == 1
    assert "record 2" in out and "altered" in out


def test_verify_cli_detects_a_removed_record(fresh_database: str, monkeypatch: Any) -> None:
    _seed(fresh_database)
    engine = make_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 2"))
    code, out = _cli(fresh_database, monkeypatch)
    assert code == 1
    assert "record 2 is missing" in out


def test_verify_detects_a_truncated_tail(fresh_database: str, monkeypatch: Any) -> None:
    _seed(fresh_database)
    engine = make_engine(fresh_database)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_records WHERE seq = 3"))
    code, out = _cli(fresh_database, monkeypatch)
    assert code == 1
    assert "head says 3" in out


def test_verify_in_a_snapshot_ignores_records_appended_meanwhile(fresh_database: str) -> None:
    from sqlalchemy import func, select

    from suanli.audit.models import AuditRecord
    from suanli.kit.db import read_snapshot

    _seed(fresh_database)
    engine = make_engine(fresh_database)
    try:
        with read_snapshot(engine) as snapshot:
            seen = snapshot.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
            with unit_of_work(make_sessionmaker(engine)) as session:
                auth_service.create_organisation(session, slug="late-ai", name="Late",
                                                 kind=OrgKind.STARTUP)
            verdict = service.verify(snapshot)
        assert verdict.ok and verdict.checked == seen == 3
        with read_snapshot(engine) as snapshot:
            assert service.verify(snapshot).checked == 4
    finally:
        engine.dispose()
