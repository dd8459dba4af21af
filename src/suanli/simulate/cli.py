"""``suanli simulate SCENARIO.yaml [-o OUTDIR] [--compare B.yaml]``: run the policy simulator.

A bad scenario prints one ``error: path: rule`` line per problem (the YAML path, such
as ``policy.rates.state: must be between 0 and 1``) and exits with status 2; nothing is
written. Heavy imports wait until the command runs, so ``suanli --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

USAGE_ERROR = 2

simulate_app = typer.Typer(help="The policy simulator.", no_args_is_help=True)


def _load(path: Path, err: Console) -> object:
    from suanli.simulate.loading import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        for problem in exc.problems:
            err.print(f"error: {path}: {problem}", markup=False, highlight=False)
        raise typer.Exit(USAGE_ERROR) from None


def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    outdir: Annotated[Path, typer.Option("--outdir", "-o",
                                         help="Folder for summary.json, charts, index.html")]
    = Path("simulation"),
    compare: Annotated[Path | None, typer.Option(
        help="A second scenario whose policy runs on the first one's world")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar")] = False,
) -> None:
    """Run a policy scenario over weeks and write a report (PNG charts, HTML page, JSON)."""
    from suanli.simulate.metrics import Week
    from suanli.simulate.report import console_table, write_report
    from suanli.simulate.runner import run_scenarios
    from suanli.simulate.scenario import Scenario

    console, err = Console(), Console(stderr=True, soft_wrap=True)
    if not console.is_terminal:
        console.width = 120  # a report piped to a file should not wrap its table
    first = _load(scenario, err)
    second = _load(compare, err) if compare is not None else None
    assert isinstance(first, Scenario) and (second is None or isinstance(second, Scenario))
    runs = 1 if second is None else 2
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, disable=quiet, transient=True) as progress:
        task = progress.add_task("simulating", total=first.weeks * runs)

        def on_week(label: str, week: Week) -> None:
            progress.update(task, advance=1, description=f"{label}: week {week.week}")

        document, _ = run_scenarios(first, second, on_week=on_week)
    written = write_report(document, outdir)
    for note in document["notes"]:
        err.print(f"note: {note}", markup=False, highlight=False)
    summaries = [(r["label"], r["summary"]) for r in document["runs"]]
    console.print(console_table(summaries, document["title"]))
    console.print(f"report: {outdir / 'index.html'} ({len(written)} files)", markup=False)


simulate_app.command("run")(simulate_command)
