"""``suanli market clear`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from suanli.market.cli import market_app

from .helpers import example

runner = CliRunner()


def write(tmp_path: Path, data: object, name: str = "snap.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_clear_writes_the_result_file(tmp_path: Path) -> None:
    snap = write(tmp_path, example())
    out = tmp_path / "result.json"
    got = runner.invoke(market_app, ["clear", str(snap), "-o", str(out)])
    assert got.exit_code == 0, got.output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["status"] == "optimal"
    assert result["objective_cny"] == "9584.64"
    assert got.stdout == ""


def test_clear_writes_stdout_without_o_or_with_dash(tmp_path: Path) -> None:
    snap = write(tmp_path, example())
    for args in (["clear", str(snap)], ["clear", str(snap), "-o", "-"]):
        got = runner.invoke(market_app, args)
        assert got.exit_code == 0, got.output
        assert json.loads(got.stdout)["round_id"] == "sh-2026-12-01T00"


def test_bad_snapshot_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    data = example()
    data["orders"][0]["duration_slots"] = 0
    data["offers"][0]["pue"] = 0.5
    snap = write(tmp_path, data)
    out = tmp_path / "result.json"
    got = runner.invoke(market_app, ["clear", str(snap), "-o", str(out)])
    assert got.exit_code == 2
    assert got.stderr.splitlines() == ["offers[0].pue: must be >= 1",
                                       "orders[0].duration_slots: must be >= 1"]
    assert got.stdout == ""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [snap]


def test_not_json_exits_2(tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    snap.write_text("{not json", encoding="utf-8")
    got = runner.invoke(market_app, ["clear", str(snap), "-o", str(tmp_path / "r.json")])
    assert got.exit_code == 2
    assert len(got.stderr.splitlines()) == 1
    assert not (tmp_path / "r.json").exists()


def test_missing_file_exits_2(tmp_path: Path) -> None:
    got = runner.invoke(market_app, ["clear", str(tmp_path / "nope.json")])
    assert got.exit_code == 2


def test_time_limit_option(tmp_path: Path) -> None:
    snap = write(tmp_path, example())
    got = runner.invoke(market_app, ["clear", str(snap), "--time-limit", "5"])
    assert got.exit_code == 0, got.output


def test_unwritable_output_exits_1(tmp_path: Path) -> None:
    snap = write(tmp_path, example())
    got = runner.invoke(market_app, ["clear", str(snap), "-o", str(tmp_path / "no" / "r.json")])
    assert got.exit_code == 1
    assert "cannot write" in got.stderr
