"""The wallet and the voucher page, clawback through the form; every message translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.applications.states import ApplicationStatus
from suanli.programs.criteria import OPS
from suanli.programs.enums import ProgramStatus, ProviderMode, RedemptionMode
from suanli.programs.views import SEGMENTS
from suanli.vouchers import service
from suanli.vouchers.models import ReturnKind, VoucherStatus
from suanli.web.i18n import catalogue
from tests.programs.factory import MILLION
from tests.programs.world import World

SRC = Path(__file__).parents[2] / "src" / "suanli"
LITERAL = re.compile(r"""(?<![\w.])t\('([a-z0-9_.]+)'[,)]""")


def test_wallet_detail_and_clawback(client: TestClient, world: World, db: Session) -> None:
    voucher = service.issue(db, program=world.program, holder_org_id=world.buyer.org_id,
                            value_fen=MILLION, application_id=None, user_id=None)
    db.commit()
    wallet = client.get("/vouchers", headers=world.buyer.headers)
    assert wallet.status_code == 200 and f'data-voucher="{voucher.id}"' in wallet.text
    assert client.get("/vouchers", headers=world.rival.headers).text.count(
        'data-testid="voucher"') == 0
    url = f"/vouchers/{voucher.id}"
    assert 'id="clawback"' not in client.get(url, headers=world.buyer.headers).text
    assert client.get(url, headers=world.rival.headers).status_code == 404
    page = client.get(url, headers=world.bureau.headers)
    assert 'id="clawback"' in page.text
    unconfirmed = client.post(url + "/clawback", headers=world.bureau.headers,
                              data={"reason": "forged invoices"})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    blank = client.post(url + "/clawback", headers=world.bureau.headers,
                        data={"reason": "", "confirm": "yes"})
    assert blank.status_code == 422 and 'id="e-reason"' in blank.text
    done = client.post(url + "/clawback", headers=world.bureau.headers,
                       data={"reason": "forged invoices", "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    after = client.get(url, headers=world.buyer.headers)
    assert "forged invoices" in after.text and "clawed back" in after.text


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for domain in ("programs", "applications", "vouchers"):
        for path in (SRC / domain / "templates").rglob("*.html"):
            keys |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    dynamic = {"programs.status.": ProgramStatus, "programs.provider_mode.": ProviderMode,
               "programs.redemption.": RedemptionMode, "applications.state.": ApplicationStatus,
               "vouchers.status.": VoucherStatus, "vouchers.return.": ReturnKind}
    for prefix, enum in dynamic.items():
        keys |= {prefix + str(member) for member in enum}
    keys |= {f"programs.op.{op}" for ops in OPS.values() for op in ops}
    keys |= {f"programs.budget.{s}" for s in SEGMENTS}
    keys |= {f"applications.{kind}.{o}" for kind in ("effect", "outcome")
             for o in ("pass", "fail", "needs_review")}
    keys |= {"nav.programs", "nav.budget", "nav.applications", "nav.review", "nav.wallet"}
    return keys


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_message_is_translated(lang: str) -> None:
    missing = sorted(k for k in _used_keys() if not catalogue(lang).get(k))
    assert missing == []


def test_chinese_messages_are_chinese() -> None:
    zh = catalogue("zh")
    assert [k for k in _used_keys() if not re.search(r"[\u4e00-\u9fff]", zh[k])] == []
