"""`suanli notifications send` and the sender inside `suanli worker`, as processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from suanli import outbox
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.notifications.models import Notification
from suanli.outbox.models import OutboxEvent


def _suanli(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(tmp)}
    env.pop("SUANLI_SMTP_HOST", None)
    return subprocess.run([sys.executable, "-c", "from suanli.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env=env, check=False)


def _event(url: str) -> None:
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        org = auth_service.create_organisation(session, slug="acme", name="Acme",
                                               kind=OrgKind.STARTUP)
        auth_service.create_user(session, username="chen", display_name="Chen",
                                 password="correct horse battery",
                                 memberships=[("acme", Role.BUYER)])
        outbox.emit(session, "voucher.issued", subject=("voucher", 1), orgs={"buyer": org.id},
                    payload={"voucher_id": 1, "value_fen": 100})


def _counts(url: str) -> tuple[int, int]:
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        notes = session.execute(select(func.count()).select_from(Notification)).scalar_one()
        waiting = session.execute(select(func.count()).where(
            OutboxEvent.dispatched_at.is_(None))).scalar_one()
    return int(notes), int(waiting)


def test_send_once_dispatches_and_reports(fresh_database: str, tmp_path: Path) -> None:
    _event(fresh_database)
    done = _suanli(fresh_database, tmp_path, "notifications", "send", "--once")
    assert done.returncode == 0, done.stderr
    assert "dispatched 1 events, sent 0" in done.stdout
    assert _counts(fresh_database) == (1, 0)


def test_the_worker_runs_the_sender(fresh_database: str, tmp_path: Path) -> None:
    _event(fresh_database)
    done = _suanli(fresh_database, tmp_path, "worker", "--once", "--time-limit", "5")
    assert done.returncode == 0, done.stderr
    assert _counts(fresh_database) == (1, 0)


def test_bad_options_exit_2_naming_them(tmp_path: Path) -> None:
    done = _suanli(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, "notifications", "send",
                   "--twice")
    assert done.returncode == 2
    assert "--twice" in done.stderr
