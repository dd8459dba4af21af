"""`suanli` commands killed with SIGKILL at seeded random moments, a few times each, on a
world of their own, beside the same world never killed (issue 14, Faults): after each kill
the ledger, the audit chain and the capacity verify and nothing is half-written; a re-run
completes, and the totals equal those of the run never killed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from tests.conftest import drop_database, new_migrated_database
from tests.faults.books import whole
from tests.faults.kill import complete, kill_at, moments
from tests.faults.world import Faulted, faulted_world

ROWS = 2880  # a minute each over the first day, twice: a file that takes a moment
ROUND = ["--slots", "24", "--time-limit", "5"]


def _steps(w: Faulted) -> list[tuple[str, list[str]]]:
    return [
        ("usage import", ["metering", "import", str(w.usage), "--format", "json",
                          "--batch-size", "100"]),
        ("settlement run", ["settlement", "settle", "--period-end", str(w.world.day1)]),
        ("clearing round", ["market", "round", *ROUND]),
        ("worker", ["worker", "--once", *ROUND]),
    ]


def calm_run(url: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> float:
    """The command never killed, in this process (no interpreter to start); its seconds."""
    monkeypatch.setenv("SUANLI_DATABASE_URL", url)
    get_settings.cache_clear()
    began = time.monotonic()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, f"suanli {' '.join(args)}: {result.output[-2000:]}"
    get_settings.cache_clear()
    return time.monotonic() - began


@pytest.fixture
def second_database(tmp_path: Path) -> Iterator[str]:
    url = new_migrated_database(tmp_path)
    yield url
    drop_database(url)


def test_each_command_killed_at_random_moments_leaves_whole_books_and_reruns_once(
        fresh_database: str, second_database: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calm = faulted_world(second_database, tmp_path, rows=ROWS)
    hit = faulted_world(fresh_database, tmp_path, rows=ROWS)
    for (what, args), (_, hit_args) in zip(_steps(calm), _steps(hit), strict=True):
        work = calm_run(calm.url, args, monkeypatch)
        killed = 0
        for n, delay in enumerate(moments(what, work)):
            killed += kill_at(hit.url, tmp_path, hit_args, delay)
            whole(hit.url, f"{what}, after kill {n + 1} at {delay:.2f} s")
        complete(hit.url, tmp_path, hit_args)
        expected = whole(calm.url, f"{what}, never killed")
        assert whole(hit.url, f"{what}, re-run") == expected, what
        assert killed, f"{what}: every kill came after the command had finished"
