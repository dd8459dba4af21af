"""``suanli catalog``: classify accelerators under ECCN 3A090 and show the packaged catalogue.

Input of ``classify`` is a JSON list of objects. ``model`` (non-empty string),
``bf16_tflops_dense`` and ``int8_tops_dense`` (number or null) and ``datacenter``
(true/false) are required keys: a misspelt figure must not silently read as "unknown".
``die_mm2`` (number > 0 or null) may be left out and then means unknown, because die
areas are often unpublished and the classifier never guesses one (it answers
``undetermined`` when the area would decide). Other keys are ignored, so catalogue
exports carrying vendor or source can be fed back in. Malformed input exits with status 2,
one ``[index].field: problem`` line per problem on stderr and nothing on stdout.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from suanli.catalog.accelerators import load_accelerators
from suanli.catalog.classify import (
    Classification,
    FigureError,
    check_figure,
    classify,
    classify_spec,
)

catalog_app = typer.Typer(
    help="Accelerator catalogue and export-control (ECCN 3A090) classification.",
    no_args_is_help=True,
)

# (field, key required, must be > 0): see the module docstring for why die_mm2 may be absent.
FIGURE_FIELDS = (
    ("bf16_tflops_dense", True, False),
    ("int8_tops_dense", True, False),
    ("die_mm2", False, True),
)
USAGE_ERROR = 2


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(problem, err=True)
    raise typer.Exit(code=USAGE_ERROR)


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def _load_json(file: str) -> Any:
    """The parsed file ("-" reads stdin); numbers with a fraction become exact Decimals."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail([f"{file}: cannot read: {exc}"])
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except ValueError as exc:
        _fail([f"{file}: not valid JSON: {exc}"])


def _entry_problems(index: int, entry: object) -> list[str]:
    """Every problem with one entry, each as ``[index].field: problem``."""
    where = f"[{index}]"
    if not isinstance(entry, dict):
        return [f"{where}: must be an object"]
    problems = []
    model = entry.get("model")
    if "model" not in entry:
        problems.append(f"{where}.model: missing")
    elif not isinstance(model, str) or not model.strip():
        problems.append(f"{where}.model: must be a non-empty string")
    for field, required, positive in FIGURE_FIELDS:
        if field not in entry:
            if required:
                problems.append(f"{where}.{field}: missing (use null when unknown)")
            continue
        try:
            check_figure(entry[field], field, positive=positive)
        except FigureError as exc:
            problems.append(f"{where}.{exc}")
    if "datacenter" not in entry:
        problems.append(f"{where}.datacenter: missing")
    elif not isinstance(entry["datacenter"], bool):
        problems.append(f"{where}.datacenter: must be true or false")
    return problems


def _json_number(value: Decimal | None) -> int | float | None:
    """A truncated Decimal as a JSON number: 15832 rather than 15832.0."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _as_output(result: Classification) -> dict[str, object]:
    return {
        "model": result.model,
        "tpp": _json_number(result.tpp),
        "performance_density": _json_number(result.performance_density),
        "eccn": result.eccn,
        "reason": result.reason,
    }


@catalog_app.command("classify")
def classify_command(
    file: Annotated[str, typer.Argument(metavar="FILE.json", help='JSON list; "-" reads stdin.')],
) -> None:
    """Classify each chip in FILE.json under ECCN 3A090 and print a JSON list of results.

    tpp is truncated to 0.1 and performance_density to 0.01 (null when the die area is
    unknown); eccn is 3A090.a, 3A090.b, not-3A090 or undetermined.
    """
    data = _load_json(file)
    if not isinstance(data, list):
        _fail(["input: must be a JSON list of objects"])
    problems = [p for index, entry in enumerate(data) for p in _entry_problems(index, entry)]
    if problems:
        _fail(problems)
    results = [
        classify(
            entry["model"],
            bf16_tflops_dense=entry["bf16_tflops_dense"],
            int8_tops_dense=entry["int8_tops_dense"],
            die_mm2=entry.get("die_mm2"),
            datacenter=entry["datacenter"],
        )
        for entry in data
    ]
    typer.echo(json.dumps([_as_output(r) for r in results], indent=2, ensure_ascii=False))


def _cell(value: Decimal | None) -> str:
    """A figure as text without a trailing ``.0``; "-" when it was not found."""
    if value is None:
        return "-"
    return str(int(value)) if value == value.to_integral_value() else str(value)


@catalog_app.command("list")
def list_command() -> None:
    """Show the packaged catalogue (dense figures) with each model's ECCN."""
    # Borderless and without vendor so the catalogue fits 80 columns: Rich squeezes a
    # wrapping column to nothing when the row is too wide.
    table = Table(
        title="Accelerators and ECCN 3A090 (rule of 2023-10-17)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("Model", no_wrap=True)
    table.add_column("DC", no_wrap=True)
    for header in ("BF16", "INT8", "Die", "TPP", "PD"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("ECCN", no_wrap=True)
    for spec in load_accelerators():
        result = classify_spec(spec)
        table.add_row(
            spec.model,
            "yes" if spec.datacenter else "no",
            _cell(spec.bf16_tflops_dense),
            _cell(spec.int8_tops_dense),
            _cell(spec.die_mm2),
            _cell(result.tpp),
            _cell(result.performance_density),
            result.eccn,
        )
    console = Console()
    console.print(table)
    console.print("BF16: dense TFLOPS; INT8: dense TOPS; Die: mm²; DC: designed for data centres.")


@catalog_app.command("load")
def load_command() -> None:
    """Copy the packaged accelerators, hubs and cities into the database (idempotent).

    Rows an administrator added or corrected are kept; every other row is brought in
    line with the packaged facts and reclassified.
    """
    from suanli.catalog.service import load_reference_data
    from suanli.kit.cli import sessions
    from suanli.kit.db import unit_of_work

    with unit_of_work(sessions()) as session:
        report = load_reference_data(session)
    for table in ("accelerators", "hubs", "cities"):
        added, updated = report.added.get(table, []), report.updated.get(table, [])
        typer.echo(f"{table}: {len(added)} added, {len(updated)} updated")
    if report.kept_corrected:
        typer.echo(f"kept administrators' corrections: {', '.join(report.kept_corrected)}")
