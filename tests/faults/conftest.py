"""Fixtures of the crash tests: cheap passwords, a server in a process of its own."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from suanli.catalog.service import load_reference_data
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from tests.faults.server import Server
from tests.market.helpers import cheap_passwords

__all__ = ["cheap_passwords", "server"]


@pytest.fixture
def server(fresh_database: str, tmp_path: Path, cheap_passwords: None) -> Iterator[Server]:
    """The platform served by uvicorn in a process of its own, on a fresh database."""
    engine = make_engine(fresh_database)
    with unit_of_work(make_sessionmaker(engine)) as session:
        load_reference_data(session)
    engine.dispose()
    running = Server(fresh_database, tmp_path)
    running.start()
    yield running
    running.stop()
