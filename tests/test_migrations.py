"""Migrations: up and down on the selected database, and identical to the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from suanli import migrate
from suanli.kit.db import Base, make_engine
from suanli.models_registry import load_all_models


def test_upgrade_downgrade_upgrade(fresh_database: str) -> None:
    engine = make_engine(fresh_database)
    assert "organisations" in inspect(engine).get_table_names()
    assert migrate.pending(engine) == set()
    migrate.downgrade(fresh_database, "base")
    engine.dispose()
    leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert leftover == set()
    assert migrate.pending(engine)
    migrate.upgrade(fresh_database)
    engine.dispose()
    assert migrate.pending(engine) == set()


def test_migrated_schema_matches_models(fresh_database: str) -> None:
    load_all_models()
    engine = make_engine(fresh_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def test_app_refuses_unmigrated_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from suanli.app import DatabaseNotMigrated, ensure_migrated

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(DatabaseNotMigrated, match="suanli db upgrade"):
        ensure_migrated(engine)
