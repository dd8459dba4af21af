"""``suanli simulate``: the report files, comparison on one world, and bad scenarios."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from suanli.cli import app
from tests.simulate.helpers import SMALL, small_data

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


def test_simulate_writes_png_html_and_json_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = runner.invoke(app, ["simulate", str(SMALL), "-o", str(tmp_path), "-q"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 30
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["mode"] == "single" and len(summary["runs"]) == 1
    assert len(summary["runs"][0]["summary"]["weekly"]) == 4
    pngs = sorted(tmp_path.glob("*.png"))
    assert len(pngs) == 6
    assert all(p.read_bytes().startswith(PNG) for p in pngs)
    page = (tmp_path / "index.html").read_text("utf-8")
    assert "<script" not in page and "style=" not in page
    for png in pngs:
        assert f'src="{png.name}"' in page
    assert "Share at state-run centres" in page and (tmp_path / "report.css").exists()
    assert "Subsidy spent (CNY)" in result.output


def test_every_chart_names_both_axes(tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts are read without help: each says what its x and its y axis measure."""
    from suanli.simulate import plots

    result = runner.invoke(app, ["simulate", str(SMALL), "-o", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    labels: dict[str, tuple[str, str]] = {}
    save = plots._save

    def noting(fig: Any, path: Path) -> Path:
        ax = fig.axes[0]
        labels[path.name] = (ax.get_xlabel(), ax.get_ylabel())
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", noting)
    again = tmp_path / "again"
    again.mkdir()
    plots.draw_all([(r["label"], r["summary"]) for r in document["runs"]], again)
    assert len(labels) == len(plots.CHARTS)
    assert all(x and y for x, y in labels.values()), labels


def test_compare_runs_both_policies_on_the_same_world(
    tmp_path: Path, write_yaml: Callable[..., Path],
) -> None:
    other = small_data()
    other["name"] = "small-generous"
    other["policy"]["rates"] = {"state": "0.60", "commercial": "0.30"}
    b = write_yaml(other, "b.yaml")
    out = tmp_path / "out"
    result = runner.invoke(app, ["simulate", str(SMALL), "--compare", str(b), "-o", str(out),
                                 "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "summary.json").read_text("utf-8"))
    a_run, b_run = doc["runs"]
    assert (a_run["label"], b_run["label"]) == ("small", "small-generous")
    assert a_run["world_fingerprint"] == b_run["world_fingerprint"]
    assert a_run["summary"]["startups"]["arrived"] == b_run["summary"]["startups"]["arrived"]
    assert b_run["policy"]["rates"]["state"] == "0.60"
    assert not [note for note in doc["notes"] if "world" in note]
    assert "B - A" in result.output


def test_compare_says_when_bs_own_world_is_not_used(
    tmp_path: Path, write_yaml: Callable[..., Path],
) -> None:
    other = small_data()
    other["seed"] = 99
    b = write_yaml(other, "b.yaml")
    result = runner.invoke(app, ["simulate", str(SMALL), "--compare", str(b), "-o",
                                 str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert doc["runs"][0]["world_fingerprint"] == doc["runs"][1]["world_fingerprint"]
    assert doc["runs"][1]["seed"] == 11
    assert len([note for note in doc["notes"] if "world" in note]) == 1


def test_a_bad_scenario_exits_2_naming_the_yaml_path(
    tmp_path: Path, write_yaml: Callable[..., Path],
) -> None:
    data = small_data()
    data["policy"]["rates"]["state"] = "1.50"
    bad = write_yaml(data, "bad.yaml")
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}: policy.rates.state: must be between 0 and 1"]
    assert not out.exists()


def test_a_missing_scenario_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
