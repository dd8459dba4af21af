"""``suanli market``: clearing rounds from the command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from suanli.market.clearing import SnapshotError, clear

market_app = typer.Typer(help="The market: clearing rounds and contracts.", no_args_is_help=True)


@market_app.callback()
def _market() -> None:
    # A callback keeps `clear` a subcommand even while it is the only command.
    pass


def _fail(problems: list[str]) -> None:
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(2)


def _load(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as exc:
        _fail([f"$: cannot read {path}: {exc.strerror or exc}"])
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        _fail([f"$: not valid JSON: {exc}"])


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _write(result: dict[str, Any], output: str | None) -> None:
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        # Write then rename: a reader never sees half a result.
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        typer.echo(f"{output}: cannot write: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from exc


@market_app.command("clear")
def clear_command(
    snapshot: Annotated[Path, typer.Argument(help="Snapshot JSON file ('-' for stdin).")],
    output: Annotated[str | None, typer.Option(
        "-o", "--output", help="Result JSON file ('-' or absent: standard output).")] = None,
    time_limit: Annotated[float, typer.Option(
        "--time-limit", min=0.1, help="Wall-clock safety limit in seconds.")] = 60.0,
) -> None:
    """Clear one round: assign orders to offers, maximising value (see the contract)."""
    data = _load(snapshot)
    try:
        result = clear(data, time_limit=time_limit)
    except SnapshotError as exc:
        _fail(exc.problems)
    _write(result, output)
