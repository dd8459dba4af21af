"""Every message the dashboards use exists in English and in (real) Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from suanli.applications.states import ApplicationStatus
from suanli.dashboards.repository import HELD
from suanli.providers.models import CaseKind
from suanli.web.i18n import CATALOGUES, catalogue

TEMPLATES = Path(__file__).parents[2] / "src" / "suanli" / "dashboards" / "templates"
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def used_keys() -> set[str]:
    keys = {f"dash.app.{s}" for s in ApplicationStatus if s != ApplicationStatus.DRAFT}
    keys |= {f"dash.case.{k}" for k in CaseKind} | {f"dash.cluster.{s}" for s in HELD}
    keys |= {"dash.chart.applications", "dash.chart.index", "dash.chart.utilisation",
             "dash.hub.city", "dash.side.east", "dash.side.west"}
    for path in TEMPLATES.rglob("*.html"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in used_keys() if not catalogue(lang).get(k)) == []


def test_both_catalogues_hold_the_same_keys_in_their_language() -> None:
    en = json.loads((CATALOGUES / "dashboards.en.json").read_text(encoding="utf-8"))
    zh = json.loads((CATALOGUES / "dashboards.zh.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert [k for k, v in zh.items() if not re.search(r"[\u4e00-\u9fff]", v)] == []
