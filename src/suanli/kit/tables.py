"""Tables for download: the same rows as CSV (UTF-8 with BOM, for Excel) and XLSX (pure).

Money is a `Money` cell: a decimal string in CSV, an exact decimal number with two places
in XLSX (never a float).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook

from suanli.kit.money import format_cny
from suanli.kit.timeutil import to_shanghai


@dataclass(frozen=True)
class Money:
    fen: int


Cell = str | int | Decimal | Money | date | datetime | None


@dataclass
class Table:
    title: str  # also the XLSX sheet name (cut to 31 characters)
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def text_of(cell: Cell) -> str:
    """A cell as CSV and terminal tables show it."""
    return _text(cell)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        # A name such as "=HYPERLINK(...)" must stay text when a spreadsheet opens the CSV.
        return "'" + cell if cell.startswith(FORMULA_START) else cell
    if isinstance(cell, Money):
        return format_cny(cell.fen)
    if isinstance(cell, datetime):
        return to_shanghai(cell).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def to_csv(tables: Sequence[Table]) -> bytes:
    """The tables one after another, each under its title, separated by a blank line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for n, table in enumerate(tables):
        if len(tables) > 1:
            if n:
                writer.writerow([])
            writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([_text(c) for c in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """A workbook with one sheet per table."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([_xlsx(c) for c in row])
            for col, cell in enumerate(row, start=1):
                if isinstance(cell, Money):
                    sheet.cell(row=sheet.max_row, column=col).number_format = "#,##0.00"
                elif isinstance(cell, str) and cell.startswith("="):
                    sheet.cell(row=sheet.max_row, column=col).data_type = "s"  # not a formula
        for col, name in enumerate(table.columns, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=col).column_letter].width = max(
                12, min(40, len(name) + 4))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx(cell: Cell) -> object:
    if isinstance(cell, Money):
        return Decimal(cell.fen) / 100
    if isinstance(cell, datetime):
        return to_shanghai(cell).replace(tzinfo=None)  # spreadsheets have no time zones
    return cell


def _sheet_name(title: str, used: set[str]) -> str:
    base = "".join(ch for ch in title if ch not in '[]:*?/\\')[:28] or "Sheet"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base[:27]}-{n}"
    used.add(name)
    return name
