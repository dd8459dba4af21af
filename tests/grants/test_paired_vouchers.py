"""Paired vouchers (Langfang): approving an application issues the buyer's voucher and a
linked half to the provider the applicant named; the voucher pays that provider only, and
the pair's money is one ledger account (the budget pays the face value once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs.presets import get
from tests.programs.factory import MILLION, make_program
from tests.programs.world import World, save_profile

APPS = "/api/v1/applications"


@pytest.fixture
def paired(db: Session, world: World, member: Callable[..., Any]) -> tuple[Any, Any, Any]:
    provider = member(Role.PROVIDER, org="lf-gpu")
    rival = member(Role.PROVIDER, org="lf-rival")
    program = make_program(db, world.bureau.org_id, paired_vouchers=True)
    save_profile(db, world.buyer.org_id)
    return program, provider, rival


@pytest.mark.parametrize(("slug", "paired_program"), [
    (None, True), ("no-such-org", True), ("acme", True),  # acme is a startup
    ("lf-gpu", False),  # a program that does not pair
])
def test_the_paired_provider_is_checked_naming_it(client: TestClient, world: World,
                                                  paired: tuple[Any, Any, Any],
                                                  slug: str | None, paired_program: bool
                                                  ) -> None:
    program = paired[0] if paired_program else world.program
    response = client.post(APPS, headers=world.buyer.headers,
                           json={"program_id": program.id, "paired_provider": slug})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "paired_provider"
    assert client.get(APPS, headers=world.buyer.headers).json() == []


def test_approval_issues_the_pair(client: TestClient, world: World, db: Session,
                                  paired: tuple[Any, Any, Any]) -> None:
    program, provider, rival = paired
    budget_before = ledger.balance(db, program.budget_account).available
    created = client.post(APPS, headers=world.buyer.headers,
                          json={"program_id": program.id, "paired_provider": "lf-gpu"})
    assert created.status_code == 201, created.text
    assert created.json()["paired_provider"] == "lf-gpu"
    done = client.post(f"{APPS}/{created.json()['id']}/submit", headers=world.buyer.headers)
    assert done.json()["status"] == "voucher_issued", done.text
    voucher_id = done.json()["voucher_id"]
    voucher = client.get(f"/api/v1/vouchers/{voucher_id}", headers=world.buyer.headers).json()
    assert (voucher["provider_mode"], voucher["providers"]) == ("list", ["lf-gpu"])
    halves = client.get("/api/v1/vouchers/paired", headers=provider.headers).json()
    assert [(h["provider"], h["voucher"]["id"], h["voucher"]["available_cny"]) for h in halves
            ] == [("lf-gpu", voucher_id, "1000000.00")]
    assert client.get("/api/v1/vouchers/paired", headers=rival.headers).json() == []
    assert client.get("/api/v1/vouchers/paired", headers=world.buyer.headers).status_code == 403
    assert len(client.get("/api/v1/vouchers/paired", headers=world.auditor.headers).json()) == 1
    # one face value left the budget: the provider half holds no money of its own
    assert ledger.balance(db, program.budget_account).available == budget_before - MILLION
    for lang, word in (("en", "Paired vouchers"), ("zh", "配对算力券")):
        client.cookies.set("suanli_lang", lang)
        page = client.get("/vouchers/paired", headers=provider.headers)
        assert page.status_code == 200 and word in page.text
        assert 'data-testid="paired-' in page.text and "1,000,000.00" in page.text
    assert verify(db).ok


def test_the_langfang_preset_pairs_vouchers() -> None:
    preset = get("langfang")
    assert preset is not None
    assert preset.values["paired_vouchers"] is True
    assert preset.values["redemption_mode"] == "buyer_reimbursed"


def test_the_pair_is_spent_by_contracts_with_its_provider_only(
        client: TestClient, world: World, db: Session, paired: tuple[Any, Any, Any],
        reference_data: None) -> None:
    from tests.market.helpers import deposit, hour, iso, listable_cluster, post_offer

    program, provider, rival = paired
    created = client.post(APPS, headers=world.buyer.headers,
                          json={"program_id": program.id, "paired_provider": "lf-gpu"}).json()
    voucher_id = client.post(f"{APPS}/{created['id']}/submit",
                             headers=world.buyer.headers).json()["voucher_id"]
    offers = {}
    for who in (provider, rival):
        cluster = listable_cluster(client, who.headers, name=f"c-{who.org_slug}")
        offers[who.org_slug] = post_offer(client, who.headers, cluster["id"],
                                          start_at=iso(hour(0)), end_at=iso(hour(48)))
    deposit(client, world.admin.headers, "acme", "10000.00")
    bought = {}
    for slug, offer in offers.items():
        response = client.post("/api/v1/market/instant-buys", headers=world.buyer.headers,
                               json={"offer_id": offer["id"], "gpus": 2, "hours": 10,
                                     "voucher_id": voucher_id})
        assert response.status_code == 201, response.text
        bought[slug] = response.json()
    assert bought["lf-rival"]["subsidy_cny"] == "0.00"  # the voucher does not pay the rival
    assert bought["lf-gpu"]["subsidy_cny"] == "100.00"  # 2 x 10 h x 10.00 at 50 %
    half = client.get("/api/v1/vouchers/paired", headers=provider.headers).json()[0]
    assert half["voucher"]["held_cny"] == "100.00"
    assert verify(db).ok
