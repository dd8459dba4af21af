"""Model vouchers end to end over HTTP: a provider offers a registered model per million
tokens, a buyer subscribes with a model voucher, the provider reports tokens through the
usage API, settlement bills tokens x price from running totals (integer fen, rounding that
never drifts) with the voucher paying its rate; the page shows it; the ledger verifies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import funds
from suanli.settlement.token_charges import bill, charge_total
from suanli.vouchers import service as vouchers
from suanli.vouchers.terms import contract_problem
from tests.conftest import Member
from tests.programs.factory import MILLION, make_program

OFFER = {"model": "qwen2.5-72b", "filing_number": "Shanghai-Qwen-2024-0001",
         "price_in_cny_per_m": "4.00", "price_out_cny_per_m": "12.00"}


def usage(sub: int, ref: str, tokens_in: int, tokens_out: int, **over: Any) -> dict[str, Any]:
    end = utcnow() - timedelta(minutes=10)
    return {"subscription_id": sub, "model": OFFER["model"], "ref": ref,
            "start": (end - timedelta(hours=1)).isoformat(), "end": end.isoformat(),
            "tokens_in": tokens_in, "tokens_out": tokens_out, **over}


@pytest.fixture
def parties(db: Session, member: Callable[..., Member]) -> dict[str, Any]:
    bureau, buyer = member(Role.PROGRAM_ADMIN), member(Role.BUYER)
    provider, other = member(Role.PROVIDER), member(Role.PROVIDER)
    program = make_program(db, bureau.org_id, voucher_unit="tokens", rate_state_bp=5000,
                           rate_commercial_bp=5000, domestic_bonus_bp=0, max_rate_bp=5000)
    compute = make_program(db, bureau.org_id)
    token_voucher = vouchers.issue(db, program=program, holder_org_id=buyer.org_id,
                                   value_fen=MILLION, application_id=None, user_id=None)
    gpu_voucher = vouchers.issue(db, program=compute, holder_org_id=buyer.org_id,
                                 value_fen=MILLION, application_id=None, user_id=None)
    funds.record_deposit(db, organisation=buyer.org_slug, amount_fen=1_000_00, reference="b1")
    db.commit()
    return {"buyer": buyer, "provider": provider, "other": other, "voucher": token_voucher,
            "gpu_voucher": gpu_voucher, "program": program}


def test_model_voucher_pays_its_rate_of_tokens_times_price(
        client: TestClient, db: Session, parties: dict[str, Any]) -> None:
    buyer, provider = parties["buyer"], parties["provider"]
    bad = client.post("/api/v1/models/offers", headers=provider.headers,
                      json=OFFER | {"price_in_cny_per_m": "-1.00"})
    assert bad.status_code == 422 and bad.json()["field"] == "price_in_cny_per_m"
    offer = client.post("/api/v1/models/offers", headers=provider.headers, json=OFFER)
    assert offer.status_code == 201, offer.text
    offer_id = offer.json()["id"]
    again = client.post("/api/v1/models/offers", headers=provider.headers, json=OFFER)
    assert again.status_code == 409 and again.json()["field"] == "model"
    wrong = client.post("/api/v1/models/subscriptions", headers=buyer.headers,
                        json={"offer_id": offer_id, "voucher_id": parties["gpu_voucher"].id})
    assert wrong.status_code == 409 and wrong.json()["field"] == "voucher_id"
    made = client.post("/api/v1/models/subscriptions", headers=buyer.headers,
                       json={"offer_id": offer_id, "voucher_id": parties["voucher"].id})
    assert made.status_code == 201, made.text
    sub = made.json()["id"]

    sent = client.post("/api/v1/metering/usage", headers=provider.headers,
                       json={"records": [usage(sub, "a", 1_234_567, 333_333)]})
    assert sent.status_code == 201, sent.text
    assert sent.json()["accepted"] == 1
    twice = client.post("/api/v1/metering/usage", headers=provider.headers,
                        json={"records": [usage(sub, "a", 1_234_567, 333_333)]})
    assert (twice.json()["accepted"], twice.json()["duplicates"]) == (0, 1)
    for records, status, field in (
            ([usage(sub, "x", 5, 5, model="gpt-4")], 422, "records[0].model"),
            ([usage(sub, "x", 0, 0)], 422, "records.0.tokens_out"),
            ([usage(sub, "x", 5, 5, gpus=2)], 422, "records.0.gpus")):
        refused = client.post("/api/v1/metering/usage", headers=provider.headers,
                              json={"records": records})
        assert refused.status_code == status, refused.text
        assert refused.json()["field"] == field, refused.json()
    foreign = client.post("/api/v1/metering/usage", headers=parties["other"].headers,
                          json={"records": [usage(sub, "y", 5, 5)]})
    assert foreign.status_code == 404
    assert foreign.json()["field"] == "records[0].subscription_id"

    url = f"/api/v1/settlement/model-subscriptions/{sub}/settle"
    first = client.post(url, headers=provider.headers)
    assert first.status_code == 200, first.text
    # 1,234,567 x 4.00 + 333,333 x 12.00 per million = 8.938264 CNY -> 8.94; half: 4.47
    assert (first.json()["charge_cny"], first.json()["subsidy_cny"],
            first.json()["buyer_cny"]) == ("8.94", "4.47", "4.47")
    assert client.post(url, headers=provider.headers).json()["charge_cny"] == "0.00"
    client.post("/api/v1/metering/usage", headers=provider.headers,
                json={"records": [usage(sub, "b", 1_000_000, 0)]})
    second = client.post(url, headers=provider.headers).json()
    # the running total 12.938268 -> 12.94: this bill adds 4.00, the voucher 6.47 - 4.47
    assert (second["charge_cny"], second["subsidy_cny"], second["buyer_cny"],
            second["billed_cny"]) == ("4.00", "2.00", "2.00", "12.94")
    db.expire_all()
    assert vouchers.balance(db, parties["voucher"]).available == MILLION - 647
    assert ledger.balance(db, f"provider-payout:{provider.org_slug}").posted == 1294
    assert ledger.balance(db, f"buyer-cash:{buyer.org_slug}").available == 1_000_00 - 647
    listed = client.get("/api/v1/models/subscriptions", headers=buyer.headers).json()
    assert [(s["tokens_in"], s["billed_cny"], s["subsidy_cny"]) for s in listed] == [
        (2_234_567, "12.94", "6.47")]
    shown = client.get(f"/api/v1/vouchers/{parties['voucher'].id}", headers=buyer.headers)
    assert (shown.json()["unit"], shown.json()["available_cny"]) == ("tokens", "999993.53")
    page = client.get("/models", headers=buyer.headers)
    assert page.status_code == 200 and f'data-testid="model-subscription-{sub}"' in page.text
    assert "12.94" in page.text and "6.47" in page.text
    assert verify(db).ok


def test_a_buyer_without_cash_for_its_part_is_refused_and_nothing_moves(
        client: TestClient, db: Session, parties: dict[str, Any]) -> None:
    buyer, provider = parties["buyer"], parties["provider"]
    offer = client.post("/api/v1/models/offers", headers=provider.headers, json=OFFER).json()
    sub = client.post("/api/v1/models/subscriptions", headers=buyer.headers,
                      json={"offer_id": offer["id"]}).json()["id"]
    client.post("/api/v1/metering/usage", headers=provider.headers,
                json={"records": [usage(sub, "big", 10**10, 0)]})  # 40,000 CNY, no voucher
    refused = client.post(f"/api/v1/settlement/model-subscriptions/{sub}/settle",
                          headers=provider.headers)
    assert refused.status_code == 409 and refused.json()["field"] == "subscription_id"
    db.expire_all()
    assert ledger.balance(db, f"buyer-cash:{buyer.org_slug}").available == 1_000_00
    assert verify(db).ok


def test_a_model_voucher_pays_for_no_gpu_contract(parties: dict[str, Any]) -> None:
    found = contract_problem(parties["voucher"], hours=10, signed_at=utcnow())
    assert found is not None and found[0] == "unit"
    assert contract_problem(parties["gpu_voucher"], hours=10, signed_at=utcnow()) is None


def test_running_totals_never_drift() -> None:
    # 1,000 tokens at 4.00 per million: 0.4 fen, rounded alone to nothing; a thousand such
    # bills from running totals come to exactly 4.00 CNY
    assert charge_total(1000, 0, 400, 0) == 0
    billed = subsidised = 0
    for n in range(1, 1001):
        step = bill(tokens_in=n * 1000, tokens_out=0, price_in_fen=400, price_out_fen=0,
                    billed=billed, subsidised=subsidised, rate_bp=3000, voucher_left=10**9)
        billed, subsidised = step.charge_total, step.subsidy_total
    assert (billed, subsidised) == (400, 120)  # 1,000,000 tokens: 4.00 CNY, 30 %: 1.20
    short = bill(tokens_in=10**6, tokens_out=0, price_in_fen=400, price_out_fen=0, billed=0,
                 subsidised=0, rate_bp=5000, voucher_left=150)
    assert (short.subsidy, short.buyer) == (150, 250)
