"""Every message issue 17's pages use exists in English and in (real) Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from suanli.web.help import TERMS
from suanli.web.i18n import CATALOGUES, catalogue

SRC = Path(__file__).parents[2] / "src" / "suanli"
TEMPLATES = [
    *sorted((SRC / "dashboards" / "templates" / "dashboards").glob("*.html")),
    *sorted((SRC / "metering" / "templates" / "metering").glob("*.html")),
    SRC / "web" / "templates" / "help.html", SRC / "web" / "templates" / "_list.html",
    SRC / "web" / "templates" / "_help.html",
]
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")
# Names that read the same in both languages.
SAME = {"help.term.3a090", "usage.format.sacct", "usage.format.json"}


def used_keys() -> set[str]:
    keys = {f"help.{kind}.{key}" for _, key in TERMS for kind in ("term", "def")}
    keys |= {f"mine.cluster_status.{s}" for s in ("pending", "awaiting_decision", "listable",
                                                   "suspended", "rejected")}
    keys |= {f"detail.hold.{s}" for s in ("pending", "posted", "voided", "expired", "unknown")}
    keys |= {f"detail.side.{s}" for s in ("voucher", "buyer")}
    keys |= {f"market.round_state.{s}" for s in ("running", "completed", "failed")}
    for path in TEMPLATES:
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in used_keys() if not catalogue(lang).get(k)) == []


def test_both_catalogues_hold_the_same_keys_in_their_language() -> None:
    en = json.loads((CATALOGUES / "pages.en.json").read_text(encoding="utf-8"))
    zh = json.loads((CATALOGUES / "pages.zh.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert [k for k, v in zh.items() if k not in SAME
            and not re.search(r"[\u4e00-\u9fff]", v)] == []
