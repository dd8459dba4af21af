"""Report figures against values computed by hand; charts and exports."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from suanli.kit.tables import Money, Table, to_csv, to_xlsx
from suanli.reports.figures import Delivery, ProgramMoney, by_city, delivery_figures, totals
from suanli.web.charts import Bar, bar_chart

ROWS = [
    # 100 GPU-h of a 400 W domestic part at PUE 1.20 in a western hub, state-run: 48 kWh.
    Delivery(1, 10, "gs-qingyang", "west", "state", True, 400, Decimal("1.20"), 360_000,
             98_000),
    # 50 GPU-h of a 700 W foreign part at PUE 1.25 in an eastern hub, commercial: 43.75 kWh.
    Delivery(2, 11, "yrd-wuhu", "east", "commercial", False, 700, Decimal("1.25"), 180_000,
             100_000),
    # A contract that delivered nothing yet: no startup served, no energy.
    Delivery(3, 12, None, None, "commercial", False, None, Decimal("1.50"), 0, 0),
]


def test_delivery_figures_by_hand() -> None:
    f = delivery_figures(ROWS)
    assert f.gpu_hours == Decimal("150.00")
    assert f.by_hub == {"gs-qingyang": Decimal("100.00"), "yrd-wuhu": Decimal("50.00"),
                        "city": Decimal("0.00")}
    assert list(f.by_hub) == ["gs-qingyang", "yrd-wuhu", "city"]
    assert f.by_operator == {"state": Decimal("100.00"), "commercial": Decimal("50.00")}
    assert f.by_origin == {"domestic": Decimal("100.00"), "foreign": Decimal("50.00")}
    assert (f.spend_fen, f.spend_state_fen) == (198_000, 98_000)
    assert f.state_share == Decimal("0.4949")
    assert f.energy_by_side == {"city": Decimal("0.00"), "east": Decimal("43.75"),
                                "west": Decimal("48.00")}
    assert f.energy_kwh == Decimal("91.75")
    assert f.startups_served == 2
    assert delivery_figures([]).state_share == 0


def test_program_money_totals_and_cities() -> None:
    a = ProgramMoney(1, "A", "shanghai", committed=1000, issued=600, held=100, spent=200,
                     returned=50)
    b = ProgramMoney(2, "B", "shanghai", committed=500, issued=500, held=0, spent=500)
    c = ProgramMoney(3, "C", "beijing", committed=10, issued=10)
    assert a.uncommitted_vouchers == 250
    total = totals([a, b, c])
    assert (total.committed, total.issued, total.spent, total.returned) == (1510, 1110, 700, 50)
    cities = by_city([a, b, c])
    assert [(m.city, m.committed) for m in cities] == [("beijing", 10), ("shanghai", 1500)]


def test_bar_chart_is_plain_svg_without_styles() -> None:
    svg = bar_chart("GPU-hours <by hub>", [Bar("Qingyang", Decimal(100), "100.00"),
                                           Bar("Wuhu", Decimal(50), "50.00", alt=True)],
                    chart_id="hubs")
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    ns = "{http://www.w3.org/2000/svg}"
    rects = root.findall(f"{ns}rect")
    assert [r.get("class") for r in rects] == ["bar", "bar alt"]
    assert int(rects[0].get("width") or 0) == 2 * int(rects[1].get("width") or 0)
    assert "style" not in svg and "<script" not in svg
    assert root.find(f"{ns}title").text == "GPU-hours <by hub>"  # type: ignore[union-attr]
    empty = ET.fromstring(bar_chart("none", [], chart_id="e"))  # noqa: S314
    assert empty.find(f"{ns}desc").text == "no data"  # type: ignore[union-attr]


def test_tables_as_csv_and_xlsx() -> None:
    table = Table("Invoice 发票", ["contract", "day", "amount"],
                  [[1, date(2026, 12, 1), Money(123456)], [2, None, Money(-5)]])
    other = Table("Usage", ["at"], [[datetime(2026, 12, 1, 0, 0, tzinfo=UTC)]])
    text = to_csv([table]).decode("utf-8-sig")
    assert text.splitlines() == ["contract,day,amount", "1,2026-12-01,1234.56", "2,,-0.05"]
    assert "Invoice 发票" in to_csv([table, other]).decode("utf-8-sig")
    book = load_workbook(io.BytesIO(to_xlsx([table, other])))
    assert book.sheetnames == ["Invoice 发票", "Usage"]
    sheet = book["Invoice 发票"]
    assert [c.value for c in sheet[1]] == ["contract", "day", "amount"]
    assert sheet["C2"].value == 1234.56 and sheet["C2"].number_format == "#,##0.00"
    assert book["Usage"]["A2"].value == datetime(2026, 12, 1, 8, 0)  # shown in Shanghai


def test_names_that_look_like_formulas_stay_text() -> None:
    table = Table("t", ["name"], [["=HYPERLINK(\"http://x\")"], ["-5 Labs"], ["Acme"]])
    lines = to_csv([table]).decode("utf-8-sig").splitlines()
    assert lines[1:] == ['"\'=HYPERLINK(""http://x"")"', "'-5 Labs", "Acme"]
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("=")
