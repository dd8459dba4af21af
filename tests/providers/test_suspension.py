"""Suspension shows: a mismatching attestation suspends a listable cluster, and its offers
show as suspended in the provider's list, on the offer page and in the API (not only by
leaving search); a matching re-attestation lifts it, with an audit record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from tests.conftest import login
from tests.market.helpers import hour, iso
from tests.providers.helpers import (
    attest_all,
    gpus,
    make_cluster,
    make_dc,
    new_key,
    post_attestation,
    signed,
)

pytestmark = pytest.mark.usefixtures("reference_data")


def test_offers_of_a_suspended_cluster_show_as_suspended_until_it_matches_again(
        client: TestClient, member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER, org="susp-dc")
    buyer, auditor = member(Role.BUYER), member(Role.AUDITOR)
    dc = make_dc(client, provider.headers)
    key, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model="h20", nodes=1,
                           gpus_per_node=8, key=public)
    attest_all(client, provider.headers, cluster, key)
    made = client.post("/api/v1/market/offers", headers=provider.headers, json={
        "cluster_id": cluster["id"], "gpus": 8, "start_at": iso(hour(0)),
        "end_at": iso(hour(48)), "ask_cny_per_gpu_hour": "9.00"})
    assert made.status_code == 201, made.text
    offer_id = made.json()["id"]
    assert made.json()["status"] == "live" and made.json()["status_reason"] is None

    wrong = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h100-sxm", 8, f"c{cluster['id']}n0"), hostname="node-00"))
    assert wrong.json()["cluster_status"] == "suspended"

    api = client.get(f"/api/v1/market/offers/{offer_id}", headers=provider.headers).json()
    assert api["status"] == "suspended"
    assert "attestation mismatch: claims h20, reports h100-sxm" in api["status_reason"]
    own = client.get("/api/v1/market/provider/offers", headers=provider.headers).json()
    assert [(o["id"], o["status"]) for o in own["items"]] == [(offer_id, "suspended")]
    seen_by_buyer = client.get(f"/api/v1/market/offers/{offer_id}", headers=buyer.headers)
    assert seen_by_buyer.json()["status"] == "suspended"
    search = client.get("/api/v1/market/offers", headers=buyer.headers).json()
    assert offer_id not in [hit["id"] for hit in search]

    login(client, provider.user.username)
    listing = client.get("/market/provider/offers").text
    assert 'data-state="suspended"' in listing and "claims h20, reports h100-sxm" in listing
    page = client.get(f"/market/offers/{offer_id}").text
    assert 'data-testid="suspended"' in page and 'id="instant-buy"' not in page

    again = attest_all(client, provider.headers, cluster, key)
    assert again.json()["cluster_status"] == "listable"
    client.cookies.clear()
    api = client.get(f"/api/v1/market/offers/{offer_id}", headers=provider.headers).json()
    assert (api["status"], api["status_reason"]) == ("live", None)
    search = client.get("/api/v1/market/offers", headers=buyer.headers).json()
    assert offer_id in [hit["id"] for hit in search]
    cases = client.get("/api/v1/compliance/cases", headers=auditor.headers).json()
    closed = [c for c in cases["items"] if c["kind"] == "attestation_mismatch"]
    assert [(c["status"], c["decision"]) for c in closed] == [("closed", "lift")]
    records = client.get("/api/v1/audit", params={
        "object_type": "compliance_case", "object_id": closed[0]["id"]},
        headers=auditor.headers).json()["items"]
    lifted = [r for r in records if r["action"] == "compliance_case.lift_by_attestation"]
    assert len(lifted) == 1
    assert lifted[0]["after"]["decision_reason"].startswith("node(s) node-00 attested again")


def test_a_mismatch_on_two_nodes_stays_until_both_match(
        client: TestClient, member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER, org="susp-dc2")
    dc = make_dc(client, provider.headers)
    key, public = new_key()
    cluster = make_cluster(client, provider.headers, dc["id"], model="h20", nodes=2,
                           gpus_per_node=8, key=public)
    for node in ("node-00", "node-01"):
        post_attestation(client, provider.headers, cluster["id"], signed(
            cluster["id"], key, gpus("h20", 6, node), hostname=node))
    fixed = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 8, "node-00"), hostname="node-00")).json()
    assert (fixed["verdict"], fixed["cluster_status"]) == ("match", "suspended")
    both = post_attestation(client, provider.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h20", 8, "node-01"), hostname="node-01")).json()
    assert (both["verdict"], both["cluster_status"]) == ("match", "listable")
