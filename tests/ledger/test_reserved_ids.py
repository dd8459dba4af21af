"""The transfer ids the services write are reserved: an operator's correcting transfer
cannot take one (it blocked every later voucher issuance on SQLite)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.ledger import service as ledger
from suanli.ledger.ids import SYSTEM_PREFIXES, system_prefix
from suanli.ledger.posting import EXPIRE_PREFIX
from suanli.vouchers import service as vouchers
from tests.ledger.conftest import counts
from tests.ledger.test_api import API, World, world
from tests.market.helpers import cheap_passwords
from tests.programs.factory import MILLION, make_program

__all__ = ["cheap_passwords", "world"]
pytestmark = pytest.mark.usefixtures("cheap_passwords")
SRC = Path(__file__).resolve().parents[2] / "src" / "suanli"
MOVES_MONEY = re.compile(r"ledger\.(transfer|hold|post|void|batch)\(|TransferSpec\.")


def test_every_prefix_the_services_write_is_reserved() -> None:
    """Each `f"<name>:{...}"` in a module that moves money (outside the ledger itself) may
    become a transfer id, directly or as the stem of one."""
    found = {EXPIRE_PREFIX}
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if "ledger" in path.parts[-2:-1] or not MOVES_MONEY.search(text):
            continue
        found |= set(re.findall(r'f"([a-z][a-z-]*:)\{', text))
    assert {"voucher-issue:", "contract:", "claim:", "program-fund:"} <= found
    assert sorted(found - set(SYSTEM_PREFIXES)) == []


def test_reserved_in_any_letter_case() -> None:
    assert system_prefix("Voucher-Issue:12") == "voucher-issue:"
    assert system_prefix(" contract:1:buyer-hold") == "contract:"
    assert system_prefix("correction:2026-001") is None
    assert system_prefix("voucher-issued-by-hand") is None


@pytest.mark.parametrize("prefix", SYSTEM_PREFIXES)
def test_a_correcting_transfer_cannot_take_a_system_id(
        prefix: str, client: TestClient, db: Session, world: World) -> None:
    before = counts(db)
    response = client.post(f"{API}/transfers", headers=world["admin"].headers, json={
        "id": f"{prefix}1", "debit": world["rival_code"], "credit": world["buyer_code"],
        "amount": "1.00", "reason": "refund"})
    assert (response.status_code, response.json()["field"]) == (422, "id"), response.text
    assert response.json()["rule"] == "reserved_id" and prefix in response.json()["detail"]
    assert counts(db) == before


def test_voucher_issuance_goes_on_after_an_attempt_to_take_its_next_id(
        client: TestClient, db: Session, world: World) -> None:
    bureau = world.member(Role.PROGRAM_ADMIN)
    program = make_program(db, bureau.org_id, budget_fen=2 * MILLION)
    db.commit()
    taken = client.post(f"{API}/transfers", headers=world["admin"].headers, json={
        "id": "voucher-issue:1", "debit": "treasury:city", "credit": program.budget_account,
        "amount": "1.00", "reason": "top-up"})
    assert taken.status_code == 422
    for _ in range(2):
        voucher = vouchers.issue(db, program=program, holder_org_id=world["buyer"].org_id,
                                 value_fen=MILLION, application_id=None, user_id=None)
        assert ledger.balance(db, voucher.account_code).available == MILLION
