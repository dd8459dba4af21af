"""Test fixtures: a database built by the real migrations, on SQLite or PostgreSQL.

SUANLI_TEST_DB=sqlite (default) or postgresql selects the backend;
SUANLI_TEST_PG_URL names a PostgreSQL server (any database on it; a fresh one is
created per run). Each `db` test runs inside a transaction that is rolled back.
With CI=true a skipped test fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

os.environ.setdefault("SUANLI_SECRET_KEY", "test-secret-key-not-for-production")

from suanli import migrate
from suanli.auth import passwords
from suanli.auth import service as auth_service
from suanli.auth.models import User
from suanli.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from suanli.kit.db import make_engine

# Argon2 at the production cost takes half a second a hash; the suite hashes thousands of test
# passwords. In this process they use cheap parameters (verifying reads the parameters from each
# hash, so logins work the same); tests/auth/test_password_cost.py checks the production ones.
PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
passwords._DUMMY = passwords._hasher.hash("not-a-password")

BACKEND = os.environ.get("SUANLI_TEST_DB", "sqlite")
PG_URL = os.environ.get("SUANLI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "correct horse battery"
CHROMIUM = os.environ.get("SUANLI_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def pytest_report_header(config: pytest.Config) -> str:
    return f"suanli test database: {BACKEND}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


def _admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def new_database_url(tmp_dir: Path) -> str:
    """A new, empty database of the selected backend."""
    if BACKEND == "sqlite":
        return f"sqlite:///{tmp_dir / f'suanli-{uuid.uuid4().hex[:8]}.db'}"
    name = f"suanli_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if BACKEND == "sqlite":
        return
    name = make_url(url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_template: list[str] = []  # the run's migrated template database, made on first use


def new_migrated_database(tmp_dir: Path) -> str:
    """A new database holding every migration: a copy of one template migrated once per run.

    Copying (a file on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL) takes a fraction
    of the second or more that running the migrations again takes, for each of ~150 tests.
    """
    if not _template:
        import tempfile

        url = new_database_url(Path(tempfile.mkdtemp(prefix="suanli-template-")))
        migrate.upgrade(url)
        _template.append(url)
    template = make_url(_template[0])
    if BACKEND == "sqlite":
        target = tmp_dir / f"suanli-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(str(template.database), target)
        return f"sqlite:///{target}"
    name = f"suanli_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
    finally:
        admin.dispose()
    return template.set(database=name).render_as_string(hide_password=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for url in _template:
        drop_database(url)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = new_migrated_database(tmp_path_factory.mktemp("db"))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own, for tests that must really commit."""
    url = new_migrated_database(tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    session = sessions()
    yield session
    session.close()


@pytest.fixture
def app(sessions: sessionmaker[Session]) -> FastAPI:
    from suanli.app import create_app

    return create_app(sessions=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Member:
    user: User
    org_slug: str
    org_id: int
    role: Role
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def member(db: Session) -> Callable[..., Member]:
    """Make a user holding `role` in a new (or named) organisation, with an API token."""
    counter = iter(range(1, 10_000))

    def make(role: Role, org: str | None = None, username: str | None = None) -> Member:
        n = next(counter)
        kind = next(iter(sorted(ROLE_ORG_KINDS[role])))
        slug = org or f"{kind}-{role}-{n}".replace("_", "-")
        from suanli.auth import repository

        existing = repository.org_by_slug(db, slug)
        if existing is None:
            existing = auth_service.create_organisation(db, slug=slug, name=slug.title(),
                                                        kind=OrgKind(kind))
        name = username or f"{role}-{n}-{uuid.uuid4().hex[:4]}".replace("_", "-")
        user = auth_service.create_user(db, username=name, display_name=name.title(),
                                        password=PASSWORD, memberships=[(slug, role)])
        token = auth_service.issue_token(db, user=user, name="test").secret
        db.commit()
        return Member(user, slug, existing.id, role, token)

    return make


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log a TestClient in through the login form, CSRF token and all."""
    client.get("/login")
    csrf = client.cookies.get("suanli_csrf")
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf, "next": "/"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def reference_data(db: Session) -> None:
    """The packaged accelerators, hubs and cities, loaded inside the test's transaction."""
    from suanli.catalog.service import load_reference_data

    load_reference_data(db)
    db.commit()
