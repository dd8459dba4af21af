"""Every message the catalogue and providers pages use exists in English and Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from suanli.catalog.pages import FIGURE_FIELDS
from suanli.providers.models import (
    CaseKind,
    CaseStatus,
    ClusterStatus,
    Decision,
    OperatorType,
    ProvenanceKind,
    Verdict,
)
from suanli.providers.screening import TEMPLATES
from suanli.web.i18n import catalogue

SRC = Path(__file__).parents[2] / "src" / "suanli"
TEMPLATE_DIRS = [SRC / "catalog" / "templates", SRC / "providers" / "templates"]
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")

DYNAMIC = {
    "providers.status.": ClusterStatus, "providers.operator.": OperatorType,
    "compliance.kind.": CaseKind, "compliance.state.": CaseStatus,
    "compliance.decision.": Decision, "providers.verdict.": Verdict,
    "providers.provenance.kind.": ProvenanceKind,
}


def _used_keys() -> set[str]:
    keys = set()
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    for prefix, enum in DYNAMIC.items():
        keys |= {prefix + str(member) for member in enum}
    keys |= {"catalog." + name for name in FIGURE_FIELDS}
    keys |= {"catalog.side.east", "catalog.side.west"}
    keys |= {"reason." + key for key in TEMPLATES}
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_the_pages_use_is_translated(lang: str) -> None:
    missing = sorted(k for k in _used_keys() if not catalogue(lang).get(k))
    assert missing == []


def test_chinese_messages_are_chinese() -> None:
    zh = catalogue("zh")
    untranslated = [k for k in _used_keys()
                    if k.startswith(("providers.", "compliance.", "reason.", "catalog."))
                    and not re.search(r"[\u4e00-\u9fff]", zh[k])
                    and zh[k] not in {"PUE", "ECCN 分类"}]
    assert untranslated == []
