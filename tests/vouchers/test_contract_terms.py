"""Contract terms of a program, enforced where a voucher is put on an order or a contract:
the longest contract, contracts signed on or after a date, and providers affiliated with
the applicant refused (the order preview says the voucher is not accepted there)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.applications import service as applications
from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.ledger.verify import verify
from suanli.vouchers import service as vouchers
from tests.market.helpers import (
    cheap_passwords,  # noqa: F401 - a fixture
    issue_voucher,
    order_body,
    post_offer,
    small_market,
)
from tests.programs.factory import make_program, passing_profile
from tests.programs.world import World

pytestmark = pytest.mark.usefixtures("reference_data", "cheap_passwords")
ORDERS = "/api/v1/market/orders"


def test_a_voucher_pays_only_for_contracts_within_the_programs_terms(
        client: TestClient, member: Callable[..., Any], db: Session) -> None:
    m = small_market(client, member)
    offer = post_offer(client, m.provider.headers, m.cluster["id"])
    short = issue_voucher(db, member, m.buyer.org_id, max_contract_days=1)
    too_long = client.post(ORDERS, headers=m.buyer.headers,
                           json=order_body(voucher_id=short.id, duration_hours=25))
    assert (too_long.status_code, too_long.json()["field"]) == (422, "duration_hours")
    assert "at most 1 days" in too_long.json()["detail"]
    fits = client.post(ORDERS, headers=m.buyer.headers,
                       json=order_body(voucher_id=short.id, duration_hours=24))
    assert fits.status_code == 201, fits.text
    buy = client.post("/api/v1/market/instant-buys", headers=m.buyer.headers,
                      json={"offer_id": offer["id"], "gpus": 1, "hours": 30,
                            "voucher_id": short.id})
    assert (buy.status_code, buy.json()["field"]) == (422, "hours"), buy.text
    later = issue_voucher(db, member, m.buyer.org_id,
                          contracts_signed_from=utcnow() + timedelta(days=3))
    early = client.post(ORDERS, headers=m.buyer.headers, json=order_body(voucher_id=later.id))
    assert (early.status_code, early.json()["field"]) == (409, "voucher_id")
    assert "signed on or after" in early.json()["detail"]
    assert verify(db).ok


def test_an_affiliated_provider_is_not_paid(client: TestClient, member: Callable[..., Any],
                                            db: Session) -> None:
    m = small_market(client, member, cash="")
    post_offer(client, m.provider.headers, m.cluster["id"])
    authority = member(Role.PROGRAM_ADMIN)
    program = make_program(db, authority.org_id, no_affiliated_providers=True)
    tied = vouchers.issue(db, program=program, holder_org_id=m.buyer.org_id,
                          value_fen=1_000_000_00, application_id=None, user_id=None,
                          affiliates=[m.provider.org_slug])
    free = vouchers.issue(db, program=program, holder_org_id=m.buyer.org_id,
                          value_fen=1_000_000_00, application_id=None, user_id=None,
                          affiliates=["someone-else"])
    db.commit()
    preview = client.post(f"{ORDERS}/preview", headers=m.buyer.headers,
                          json=order_body(voucher_id=tied.id)).json()
    assert preview["candidates"][0]["voucher_accepted"] is False
    assert preview["candidates"][0]["effective_cny_per_gpu_hour"] == "10.00"
    ok = client.post(f"{ORDERS}/preview", headers=m.buyer.headers,
                     json=order_body(voucher_id=free.id)).json()
    assert ok["candidates"][0]["voucher_accepted"] is True
    assert ok["candidates"][0]["effective_cny_per_gpu_hour"] == "5.00"
    read = client.get(f"/api/v1/vouchers/{tied.id}", headers=m.buyer.headers).json()
    assert read["excluded_providers"] == [m.provider.org_slug] and read["terms"] is None
    assert verify(db).ok


def test_the_declared_affiliates_reach_the_voucher(db: Session, world: World) -> None:
    program = make_program(db, world.bureau.org_id, no_affiliated_providers=True,
                           max_contract_days=365, name="Beijing-like")
    applications.save_profile(db, organisation_id=world.rival.org_id,
                              values=passing_profile(affiliates=["sister-dc"],
                                                     founded_on=date(2020, 1, 1)),
                              user_id=None)
    draft = applications.create(db, program=program, organisation_id=world.rival.org_id,
                                user_id=None)
    done = applications.submit(db, application=draft, user_id=None)
    voucher = vouchers.get(db, done.voucher_id or 0)
    assert voucher.excluded_providers == ["sister-dc"] and voucher.max_contract_days == 365
    assert verify(db).ok


def test_contract_terms_through_the_api_and_the_form(client: TestClient, world: World) -> None:
    pid, headers = world.program.id, world.bureau.headers
    bad = client.patch(f"/api/v1/programs/{pid}", headers=headers,
                       json={"max_contract_days": 0})
    assert (bad.status_code, bad.json()["field"]) == (422, "max_contract_days")
    good = client.patch(f"/api/v1/programs/{pid}", headers=headers, json={
        "max_contract_days": 365, "contracts_signed_from": "2024-01-01T00:00:00+08:00",
        "no_affiliated_providers": True}).json()
    assert good["max_contract_days"] == 365 and good["no_affiliated_providers"] is True
    form = client.get(f"/programs/{pid}/edit", headers=headers).text
    assert 'name="max_contract_days" type="number" value="365"' in form
    assert 'name="contracts_signed_from" type="date" value="2024-01-01"' in form
    profile = client.put("/api/v1/applications/profile", headers=world.buyer.headers,
                         json={"affiliates": ["Not A Slug"]})
    assert profile.status_code == 422
