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


def test_the_registry_alone_knows_every_table(fresh_database: str) -> None:
    # In a fresh interpreter, so that nothing the tests imported hides a missing module.
    import subprocess
    import sys
    from pathlib import Path

    from suanli.models_registry import MODELS

    src = Path(__file__).parents[1] / "src" / "suanli"
    modules = {f"suanli.{p.parent.name}.models" for p in src.glob("*/models.py")}
    assert modules <= set(MODELS), modules - set(MODELS)
    script = ("from suanli.models_registry import load_all_models; load_all_models(); "
              "from suanli.kit.db import Base; print(' '.join(sorted(Base.metadata.tables)))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=60)
    engine = make_engine(fresh_database)
    migrated = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert set(done.stdout.split()) == migrated
