"""The packaged accelerator catalogue (``data/accelerators.csv``) as frozen dataclasses.

Performance figures and die area are exact ``Decimal`` values, because export-control
thresholds are compared against them; memory, bandwidth and power are whole numbers.
An empty cell means the figure was not found in a public source and becomes ``None``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import TypeVar

T = TypeVar("T")

ACCELERATOR_COLUMNS: tuple[str, ...] = (
    "model",
    "vendor",
    "name",
    "domestic",
    "datacenter",
    "bf16_tflops_dense",
    "int8_tops_dense",
    "memory_gb",
    "memory_bw_gbs",
    "interconnect_gbs",
    "tdp_w",
    "die_mm2",
    "source",
)


class CatalogError(ValueError):
    """A packaged catalogue file that cannot be read; the message names file, line and column."""


@dataclass(frozen=True)
class AcceleratorSpec:
    """One accelerator as published: dense (non-sparse) figures, memory, power, die area."""

    model: str
    vendor: str
    name: str
    domestic: bool
    datacenter: bool
    bf16_tflops_dense: Decimal | None
    int8_tops_dense: Decimal | None
    memory_gb: int | None
    memory_bw_gbs: int | None
    interconnect_gbs: int | None
    tdp_w: int | None
    die_mm2: Decimal | None
    source: str


@dataclass(frozen=True)
class CsvRow:
    """A CSV row with its position, so that parse errors can say where they are."""

    filename: str
    line: int
    cells: dict[str, str]

    def error(self, column: str, problem: str) -> CatalogError:
        """An error naming this row's file, line and the given column."""
        return CatalogError(f"{self.filename} line {self.line}, column {column!r}: {problem}")

    def text(self, column: str) -> str:
        """The stripped cell; an empty cell is an error because the column is required."""
        value = self.cells[column].strip()
        if not value:
            raise self.error(column, "must not be empty")
        return value

    def optional(self, column: str, convert: Callable[[str], T]) -> T | None:
        """The cell converted, or None when it is empty (figure not found)."""
        value = self.cells[column].strip()
        return None if not value else self.convert(column, value, convert)

    def required(self, column: str, convert: Callable[[str], T]) -> T:
        """The non-empty cell converted."""
        return self.convert(column, self.text(column), convert)

    def convert(self, column: str, value: str, convert: Callable[[str], T]) -> T:
        """``convert(value)``; its ValueError becomes a CatalogError naming the column."""
        try:
            return convert(value)
        except (ValueError, InvalidOperation) as exc:
            raise self.error(column, f"{value!r} {exc}") from None


def parse_bool(value: str) -> bool:
    """``true``/``false`` (any case); anything else is refused rather than guessed."""
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ValueError("is not true or false")
    return lowered == "true"


def parse_decimal(value: str) -> Decimal:
    """A finite, non-negative decimal number."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError("must be a finite number >= 0")
    return number


def parse_count(value: str) -> int:
    """A non-negative whole number (``80``, not ``80.5``)."""
    if not value.isdigit():
        raise ValueError("is not a whole number >= 0")
    return int(value)


def iter_csv(text: str, filename: str, columns: Sequence[str]) -> Iterator[CsvRow]:
    """Rows of a CSV whose header must be exactly ``columns`` (in order)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(columns):
        raise CatalogError(f"{filename} line 1: header must be {','.join(columns)}, got {header}")
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines carry no facts
        if len(row) != len(columns):
            raise CatalogError(
                f"{filename} line {line}: expected {len(columns)} cells, got {len(row)}"
            )
        yield CsvRow(filename, line, dict(zip(columns, row, strict=True)))


def read_packaged(filename: str) -> str:
    """The text of a CSV shipped in ``suanli/catalog/data``."""
    return resources.files("suanli.catalog").joinpath("data", filename).read_text("utf-8")


def _spec_from_row(row: CsvRow) -> AcceleratorSpec:
    return AcceleratorSpec(
        model=row.text("model"),
        vendor=row.text("vendor"),
        name=row.text("name"),
        domestic=row.required("domestic", parse_bool),
        datacenter=row.required("datacenter", parse_bool),
        bf16_tflops_dense=row.optional("bf16_tflops_dense", parse_decimal),
        int8_tops_dense=row.optional("int8_tops_dense", parse_decimal),
        memory_gb=row.optional("memory_gb", parse_count),
        memory_bw_gbs=row.optional("memory_bw_gbs", parse_count),
        interconnect_gbs=row.optional("interconnect_gbs", parse_count),
        tdp_w=row.optional("tdp_w", parse_count),
        die_mm2=row.optional("die_mm2", parse_decimal),
        # Every fact keeps its public source; a row without one is refused.
        source=row.text("source"),
    )


def parse_accelerators(
    text: str, filename: str = "accelerators.csv"
) -> tuple[AcceleratorSpec, ...]:
    """Parse catalogue CSV text; raises CatalogError naming line and column on any bad cell.

    Model ids must be unique, so they can serve as keys elsewhere.
    """
    specs: list[AcceleratorSpec] = []
    seen: set[str] = set()
    for row in iter_csv(text, filename, ACCELERATOR_COLUMNS):
        spec = _spec_from_row(row)
        if spec.model in seen:
            raise row.error("model", f"duplicate model id {spec.model!r}")
        seen.add(spec.model)
        specs.append(spec)
    return tuple(specs)


@cache
def load_accelerators() -> tuple[AcceleratorSpec, ...]:
    """All packaged accelerators, in file order (parsed once per process)."""
    return parse_accelerators(read_packaged("accelerators.csv"))


def get_accelerator(model: str) -> AcceleratorSpec:
    """The packaged accelerator with this model id; KeyError naming it when unknown."""
    for spec in load_accelerators():
        if spec.model == model:
            return spec
    raise KeyError(f"unknown accelerator model {model!r}")
