"""Every message the market's pages use exists in English and in (real) Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from suanli.market.matching import Reason
from suanli.market.models import (
    ContractSource,
    ContractState,
    OfferStatus,
    OrderStatus,
    ServiceClass,
)
from suanli.web.i18n import CATALOGUES, catalogue
from suanli.web.nav import LINKS

TEMPLATES = Path(__file__).parents[2] / "src" / "suanli" / "market" / "templates"
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def used_keys() -> set[str]:
    keys = {link.label for link in LINKS if link.href.startswith("/market")}
    keys |= {f"market.state.{s}" for enum in (OfferStatus, OrderStatus, ContractState)
             for s in enum}
    keys |= {f"market.reason.{r}" for r in Reason} | {f"market.source.{s}"
                                                      for s in ContractSource}
    keys |= {f"market.class.{c}" for c in ServiceClass}
    keys |= {f"market.operator.{o}" for o in ("state", "commercial")}
    for path in TEMPLATES.rglob("*.html"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in used_keys() if not catalogue(lang).get(k)) == []


def test_both_catalogues_hold_the_same_keys_in_their_language() -> None:
    en = json.loads((CATALOGUES / "market.en.json").read_text(encoding="utf-8"))
    zh = json.loads((CATALOGUES / "market.zh.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert [k for k, v in zh.items() if not re.search(r"[\u4e00-\u9fff]", v)] == []
