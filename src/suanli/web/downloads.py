"""Tables as CSV or XLSX attachments (for the download routes of every domain)."""

from __future__ import annotations

from fastapi.responses import Response

from suanli.kit.tables import Table, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(tables: list[Table], fmt: str, name: str) -> Response:
    """The tables as a CSV (fmt "csv") or XLSX (fmt "xlsx") attachment named `name`."""
    if fmt == "xlsx":
        return Response(to_xlsx(tables), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return Response(to_csv(tables), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
