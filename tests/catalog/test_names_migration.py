"""Upgrading a database that has a catalogue keeps attestations matching: the migration
that made reported names data seeds the names the removed code table recognised."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from suanli import migrate
from suanli.kit.db import make_engine
from tests.conftest import drop_database, new_database_url


def test_upgrade_seeds_the_names_of_models_already_there(tmp_path: Path) -> None:
    url = new_database_url(tmp_path)
    try:
        migrate.upgrade(url, "catalog_0001")
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO accelerators (model, vendor, name, domestic, datacenter, source, "
                "eccn, eccn_reason, updated_at) VALUES ('h20', 'NVIDIA', 'H20', false, true, "
                "'test', 'not-3A090', 'test', CURRENT_TIMESTAMP)"))
        migrate.upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT key, model, name FROM accelerator_names")).all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [("nvidia h20", "h20", "NVIDIA H20")]
    finally:
        drop_database(url)
