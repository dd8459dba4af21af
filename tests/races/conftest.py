"""A live uvicorn server on a database of its own, for races sent over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth import service as auth_service
from suanli.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from tests.market.helpers import cheap_passwords

__all__ = ["Live", "cheap_passwords", "live"]


@dataclass
class Live:
    """The server's base URL, the database behind it and a client for setting up."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    client: httpx.Client

    def member(self, role: Role, slug: str, username: str | None = None) -> dict[str, str]:
        """A user holding ``role`` in organisation ``slug`` (made when new); its bearer
        headers."""
        from suanli.auth import repository

        kind = next(iter(sorted(ROLE_ORG_KINDS[role])))
        with unit_of_work(self.factory) as session:
            if repository.org_by_slug(session, slug) is None:
                auth_service.create_organisation(session, slug=slug, name=slug,
                                                 kind=OrgKind(kind))
            user = auth_service.create_user(session, username=username or f"u-{slug}-{role}",
                                            display_name=slug, password=PASSWORD,
                                            memberships=[(slug, role)])
            token = auth_service.issue_token(session, user=user, name="race").secret
        return {"Authorization": f"Bearer {token}"}


PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live(fresh_database: str, cheap_passwords: None) -> Iterator[Live]:
    import uvicorn

    from suanli.app import create_app
    from suanli.catalog.service import load_reference_data

    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as session:
        load_reference_data(session)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sessions=factory), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=120) as client:
        yield Live(url, engine, factory, client)
    server.should_exit = True
    thread.join(timeout=30)
    engine.dispose()
