"""`suanli catalog load` fills the tables once; a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from suanli.catalog.cli import catalog_app
from suanli.config import get_settings


@pytest.fixture
def configured(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_load_twice(configured: str) -> None:
    runner = CliRunner()
    first = runner.invoke(catalog_app, ["load"])
    assert first.exit_code == 0, first.output
    assert "accelerators: 37 added, 0 updated" in first.stdout
    assert "hubs: 10 added" in first.stdout
    second = runner.invoke(catalog_app, ["load"])
    assert second.exit_code == 0
    assert "accelerators: 0 added, 0 updated" in second.stdout
