"""Every message the settlement and report pages use exists in English and Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from suanli.programs.enums import RedemptionMode
from suanli.reports.exports import MONEY_FIELDS
from suanli.settlement.models import ClaimStatus
from suanli.web.i18n import catalogue

SRC = Path(__file__).parents[2] / "src" / "suanli"
TEMPLATES = [SRC / "settlement" / "templates", SRC / "reports" / "templates"]
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def _used() -> set[str]:
    keys = set()
    for folder in TEMPLATES:
        for path in folder.rglob("*.html"):
            keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    keys |= {f"claims.status.{s}" for s in ClaimStatus} | {"claims.reason_rule"}
    keys |= {f"claims.mode.{m}" for m in RedemptionMode}
    keys |= {"claims.done.approved", "claims.done.rejected"}
    keys |= {f"reports.money.{f}" for f in MONEY_FIELDS}
    keys |= {f"reports.chart.{c}" for c in ("hub", "operator", "origin", "energy", "money")}
    keys |= {"reports.operator.state", "reports.operator.commercial", "reports.hub.city",
             "reports.origin.domestic", "reports.origin.foreign", "reports.energy.east",
             "reports.energy.west", "reports.energy.city", "reports.unit.gpu_h",
             "reports.unit.kwh"}
    keys |= {f"nav.{n}" for n in ("invoices", "statements", "claims", "reports",
                                  "market_report")}
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in _used() if not catalogue(lang).get(k)) == []


def test_chinese_is_chinese() -> None:
    zh = catalogue("zh")
    assert [k for k in _used() if not re.search(r"[\u4e00-\u9fff]", zh[k])] == []
