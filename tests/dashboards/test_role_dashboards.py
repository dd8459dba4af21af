"""The buyer's and the provider's dashboards show their own figures, and nobody else's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.settlement import service
from suanli.settlement.charges import period_of
from tests.conftest import login
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, cheap_passwords

__all__ = ["cheap_passwords"]


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member, days_ago=2)
    use(db, w, (0, 24, 8))
    service.settle_period(db, period_end=w.day1)
    db.commit()
    return w


def _figure(page: str, test_id: str) -> str:
    marker = f'data-testid="{test_id}">'
    start = page.index(marker) + len(marker)
    return page[start:page.index("<", start)]


def test_the_buyer_sees_its_money_orders_contracts_and_spend(
        client: TestClient, world: World, member: Callable[..., Any]) -> None:
    login(client, world.buyer.user.username)
    page = client.get("/").text
    assert 'data-testid="dash-buyer"' in page and 'data-testid="dash-provider"' not in page
    # 8 GPUs x 24 h x 10 CNY, half on the voucher; settled in this month unless the
    # day before yesterday was last month.
    this_month = period_of_now_month() == world.day1.replace(day=1)
    assert _figure(page, "mine-spend") == ("1,920.00" if this_month else "0.00")
    assert _figure(page, "mine-live-contracts") == "1"
    assert f'href="/market/contracts/{world.contract.id}"' in page
    assert _figure(page, "mine-open-orders") == "0"
    assert f'data-voucher="{world.voucher.id}"' in page
    client.cookies.clear()
    other = member(Role.BUYER)
    login(client, other.user.username)
    page = client.get("/").text
    assert _figure(page, "mine-live-contracts") == "0"
    assert f'data-voucher="{world.voucher.id}"' not in page
    assert _figure(page, "mine-spend") == "0.00"


def period_of_now_month() -> Any:
    from suanli.kit.timeutil import utcnow

    return period_of(utcnow()).replace(day=1)


def test_the_provider_sees_its_clusters_revenue_and_claims(
        client: TestClient, world: World, member: Callable[..., Any]) -> None:
    login(client, world.provider.user.username)
    page = client.get("/").text
    assert 'data-testid="dash-provider"' in page and 'data-testid="dash-buyer"' not in page
    assert f'data-cluster="{world.cluster.id}"' in page
    assert 'data-status="listable"' in page
    # 8 of 16 GPUs for 48 of the 336 hours around now (the contract began two days ago).
    assert _figure(page, "mine-booked") == f"{(8 * 48 * 100 / (16 * 336)):.1f}%"
    assert 'data-testid="mine-claims"' in page and 'data-status="submitted"' in page
    assert _figure(page, "mine-claims-waiting") == "1"
    client.cookies.clear()
    other = member(Role.PROVIDER)
    login(client, other.user.username)
    page = client.get("/").text
    assert f'data-cluster="{world.cluster.id}"' not in page
    assert _figure(page, "mine-claims-waiting") == "0"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_dashboards_render_in_both_languages(client: TestClient, world: World,
                                                  lang: str) -> None:
    client.cookies.set("suanli_lang", lang)
    for who, title in ((world.buyer, ("My startup at a glance", "我的企业概览")),
                       (world.provider, ("My clusters at a glance", "我的集群概览"))):
        client.cookies.delete("suanli_session")
        login(client, who.user.username)
        page = client.get("/")
        assert page.status_code == 200
        assert title[0 if lang == "en" else 1] in page.text
