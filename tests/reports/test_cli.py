"""`suanli report` and `suanli settlement` on a committed database of their own."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.settlement.charges import period_of
from tests.settlement.committed import committed_world
from tests.settlement.usage import use
from tests.settlement.world import World


@pytest.fixture
def world(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    w = committed_world(fresh_database)
    with unit_of_work(make_sessionmaker(make_engine(fresh_database))) as session:
        use(session, w, (0, 24, 8), (24, 36, 8))
    yield w
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_settle_then_report(world: World, tmp_path: Path) -> None:
    code, out, _ = run("settlement", "settle", "--period-end", str(world.day1))
    assert code == 0 and "1 contracts settled" in out and "1,920.00" in out
    code, out, _ = run("settlement", "settle", "--period-end", str(world.day1))
    assert code == 0 and "0 contracts settled" in out and "1 already settled" in out
    code, out, _ = run("settlement", "due")  # the contract's end, settled on its last day
    assert code == 0 and "1 contracts settled (1 at their end)" in out
    code, out, _ = run("report", "program", str(world.program.id))
    assert code == 0 and "gs-qingyang" in out and "288.00" in out
    code, out, _ = run("report", "program", str(world.program.id), "--format", "csv")
    assert code == 0 and "gpu_hours,288.00" in out and "spend_cny,2880.00" in out
    target = tmp_path / "market.xlsx"
    code, _, _ = run("report", "market", "--format", "xlsx", "-o", str(target))
    assert code == 0
    book = load_workbook(io.BytesIO(target.read_bytes()))
    assert {"Programs", "Cities", "Summary"} <= set(book.sheetnames)


def test_bad_input_exits_2(world: World, tmp_path: Path) -> None:
    today = period_of(utcnow())
    code, _, err = run("settlement", "settle", "--period-end", str(today))
    assert code == 2 and err.startswith("error: --period-end")
    assert run("settlement", "settle", "--period-end", "01/12/2026")[0] == 2
    code, _, err = run("report", "program", "999999")
    assert code == 2 and "program_id" in err
    code, _, err = run("report", "market", "--format", "xlsx")
    assert code == 2 and "--output" in err
    assert run("report", "market", "--format", "pdf")[0] == 2
    code, _, err = run("report", "market", "--format", "csv", "-o",
                       str(tmp_path / "no" / "such" / "dir.csv"))
    assert code == 2 and "cannot write" in err
