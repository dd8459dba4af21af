"""The test world in a database of its own, committed (for CLI and crash tests)."""

from __future__ import annotations

from typing import Any

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from tests.settlement.world import World, build_world, org_maker


def committed_world(url: str, **options: Any) -> World:
    """Build the world on `url` and commit it; organisations only, no users."""
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        world = build_world(session, org_maker(session), **options)
    return world
