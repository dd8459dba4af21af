"""A live platform (uvicorn on a fresh database) for driving `suanli-agent` end to end."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.catalog.service import load_reference_data
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work


@dataclass
class Platform:
    url: str
    token: str
    sessions: sessionmaker[Session]
    org_id: int
    keys: dict[str, Path] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(factory: sessionmaker[Session]) -> tuple[str, int]:
    with unit_of_work(factory) as session:
        load_reference_data(session)
        org = auth_service.create_organisation(session, slug="agent-dc", name="Agent DC",
                                               kind=OrgKind.PROVIDER)
        user = auth_service.create_user(session, username="ops", display_name="Ops",
                                        password="correct horse battery",
                                        memberships=[("agent-dc", Role.PROVIDER)])
        token = auth_service.issue_token(session, user=user, name="agent").secret
        return token, org.id


@pytest.fixture
def platform(fresh_database: str) -> Iterator[Platform]:
    """The real app served by uvicorn on a fresh database with one provider and a token."""
    import uvicorn

    from suanli.app import create_app

    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    token, org_id = _seed(factory)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sessions=factory), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield Platform(f"http://127.0.0.1:{port}", token, factory, org_id)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
