"""Every message the ledger page uses exists in English and in (real) Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from suanli.ledger.posting import AccountKind
from suanli.web.i18n import CATALOGUES, catalogue

TEMPLATES = Path(__file__).parents[2] / "src" / "suanli" / "ledger" / "templates"
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def used_keys() -> set[str]:
    keys = {"nav.ledger"} | {f"ledger.kind.{kind}" for kind in AccountKind}
    for path in TEMPLATES.rglob("*.html"):
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in used_keys() if not catalogue(lang).get(k)) == []


def test_both_catalogues_hold_the_same_keys_in_their_language() -> None:
    en = json.loads((CATALOGUES / "ledger.en.json").read_text(encoding="utf-8"))
    zh = json.loads((CATALOGUES / "ledger.zh.json").read_text(encoding="utf-8"))
    assert set(en) == set(zh)
    assert [k for k, v in zh.items() if not re.search(r"[\u4e00-\u9fff]", v)] == []
