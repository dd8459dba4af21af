"""Offers listed at once on one cluster over HTTP: never more GPUs than the cluster has."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.market.models import Offer, OfferStatus
from tests.market.helpers import listable_cluster, offer_body
from tests.races.burst import MODES, Call, assert_only, burst
from tests.races.conftest import Live


@pytest.mark.parametrize("mode", MODES)
def test_concurrent_offers_never_list_a_cluster_beyond_its_gpus(live: Live, mode: str
                                                                ) -> None:
    provider = live.member(Role.PROVIDER, "race-dc")
    cluster = listable_cluster(live.client, provider, nodes=16, gpus_per_node=8)  # 128 GPUs
    calls = [Call("POST", "/api/v1/market/offers", provider,
                  offer_body(cluster["id"], gpus=16)) for _ in range(40)]
    answers = burst(live.url, calls, mode=mode)
    assert_only(answers, {201, 409, 503})
    listed = [a for a in answers if a.status == 201]
    assert all(a.body["field"] == "gpus" for a in answers if a.status == 409)
    with unit_of_work(live.factory) as session:
        stored = session.execute(select(func.count(), func.coalesce(func.sum(Offer.gpus), 0))
                                 .where(Offer.status == OfferStatus.LIVE)).one()
    assert stored[0] == len(listed), "an offer answered as refused was stored (or the reverse)"
    assert stored[1] <= 128
    if not any(a.status == 503 for a in answers):
        assert len(listed) == 8
