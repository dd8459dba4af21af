"""Every message of notifications exists in English and Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from suanli.notifications.catalogue import ALIASES, BY_KEY
from suanli.notifications.messages import CODED
from suanli.notifications.models import Channel, DeliveryStatus
from suanli.web.i18n import catalogue

SRC = Path(__file__).parents[2] / "src" / "suanli"
TEMPLATES = [*(SRC / "notifications" / "templates").rglob("*.html"),
             SRC / "web" / "templates" / "base.html"]
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def _used() -> set[str]:
    keys: set[str] = set()
    for path in TEMPLATES:
        keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    keys = {k for k in keys if k.startswith(("nav.inbox", "nav.unread", "inbox.", "prefs.",
                                             "webhooks.", "deliveries.", "alerts.",
                                             "notify."))}
    keys |= {f"notify.topic.{t}" for t in BY_KEY}
    kinds = (set(BY_KEY) - set(ALIASES.values()) - {"contract.started"}) | set(ALIASES)
    keys |= {f"notify.{part}.{k}" for k in kinds for part in ("title", "body")}
    keys |= {f"deliveries.status.{s}" for s in DeliveryStatus}
    keys |= {f"deliveries.channel.{c}" for c in Channel if c != Channel.INBOX}
    keys |= {"alerts.kind.voucher", "alerts.kind.program", "nav.inbox", "nav.unread",
             "notify.mail.footer", "notify.digest.subject", "notify.digest.intro"}
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_is_translated(lang: str) -> None:
    assert sorted(k for k in _used() if not catalogue(lang).get(k)) == []


def test_chinese_is_chinese() -> None:
    zh = catalogue("zh")
    assert [k for k in _used() if not re.search(r"[\u4e00-\u9fff]", zh[k])] == []


def test_both_languages_fill_the_same_values() -> None:
    en, zh = catalogue("en"), catalogue("zh")
    names = re.compile(r"\{(\w+)\}")
    differ = [k for k in _used() if set(names.findall(en[k])) != set(names.findall(zh[k]))]
    assert differ == []


def test_coded_values_have_both_translations() -> None:
    en, zh = catalogue("en"), catalogue("zh")
    for prefix in CODED.values():
        keys = [k for k in en if k.startswith(prefix)]
        assert keys and all(k in zh for k in keys), prefix
