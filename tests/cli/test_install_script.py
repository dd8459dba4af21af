"""`scripts/install-from-nothing.sh` on a fresh, empty database (SQLite, or PostgreSQL with
SUANLI_TEST_DB=postgresql), as the README's "Installing from nothing" describes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.catalog.models import Accelerator
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.programs.models import Program
from suanli.providers.models import Cluster, ClusterStatus
from tests.conftest import drop_database, new_database_url

pytestmark = pytest.mark.slow  # minutes: many fresh `suanli` processes
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-from-nothing.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_install_from_nothing(tmp_path: Path) -> None:
    url = new_database_url(tmp_path)  # empty: not even migrated
    passwords = tmp_path / "passwords"
    passwords.write_text("first install password\n", encoding="utf-8")
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "INSTALL_PASSWORD_FILE": str(passwords),
           "INSTALL_PORT": str(_free_port()), "SUANLI_DATA_DIR": str(tmp_path / "var"),
           "SUANLI": str(Path(sys.executable).parent / "suanli"), "CITY": "shanghai"}
    try:
        done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                              timeout=300, check=False, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Installed." in done.stdout
        factory = make_sessionmaker(make_engine(url))
        with unit_of_work(factory) as session:
            kinds = {o.slug: str(o.kind) for o in session.scalars(select(Organisation))}
            assert kinds == {"platform": "platform", "city-bureau": "authority",
                             "regulator": "regulator", "first-dc": "provider"}
            admin = auth_repo.user_by_username(session, "admin")
            assert admin is not None and [m.role for m in admin.memberships] == [
                "platform_admin"]
            assert session.scalar(select(Accelerator).where(Accelerator.model == "h200"))
            (program,) = session.scalars(select(Program))
            assert str(program.status) == "published"
            (cluster,) = session.scalars(select(Cluster))
            assert (cluster.accelerator_model, cluster.status) == ("h20",
                                                                   ClusterStatus.PENDING)
        again = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                               timeout=300, check=False, cwd=tmp_path)
        assert again.returncode == 1
        assert "error: already initialised" in again.stderr
    finally:
        drop_database(url)
