"""Order and contract pages: terms, holds, delivery per day, invoices and claims, and only
for the contract's parties, the platform and the regulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.dashboards.detail import per_day
from suanli.settlement import service
from tests.conftest import login
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, cheap_passwords

__all__ = ["cheap_passwords"]


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member)
    use(db, w, (0, 24, 8), (30, 36, 4))  # day 1 whole; 6 h of 4 GPUs on day 2
    service.settle_period(db, period_end=w.day1)
    db.commit()
    return w


def _between(page: str, marker: str) -> str:
    start = page.index(marker) + len(marker)
    return page[start:page.index("<", start)]


def test_the_buyer_sees_terms_holds_delivery_invoices_and_claims(
        client: TestClient, world: World) -> None:
    login(client, world.buyer.user.username)
    page = client.get(f"/market/contracts/{world.contract.id}")
    assert page.status_code == 200
    text = page.text
    assert _between(text, 'data-testid="contract-gpu-hours">') == "384"
    assert _between(text, 'data-testid="contract-cost">') == "3,840.00"
    # Delivery per day: 192 GPU-hours on the first day, 24 on the second.
    assert f'<tr data-day="{world.day1.isoformat()}">' in text
    day1 = text.index(f'data-day="{world.day1.isoformat()}"')
    assert _between(text[day1:], 'data-testid="delivered">') == "192.00"
    day2 = text.index(f'data-day="{world.day2.isoformat()}"')
    assert _between(text[day2:], 'data-testid="delivered">') == "24.00"
    assert _between(text, 'data-testid="delivered-total">') == "216.00"
    assert 'data-testid="delivery-chart"' in text
    # Both sides held money; the first day's settlement paid part of each.
    assert 'data-side="voucher"' in text and 'data-side="buyer"' in text
    assert 'data-settlement=' in text and 'href="/invoices/' in text
    assert 'data-claim=' in text  # the provider's claim on the voucher's share


def test_the_provider_sees_the_contract_without_the_buyers_invoice_links(
        client: TestClient, world: World) -> None:
    login(client, world.provider.user.username)
    page = client.get(f"/market/contracts/{world.contract.id}")
    assert page.status_code == 200
    assert 'data-settlement=' in page.text and 'href="/invoices/' not in page.text
    assert 'href="/claims/' in page.text  # it is the claimant


@pytest.mark.parametrize("role", [Role.PLATFORM_ADMIN, Role.AUDITOR])
def test_the_platform_and_the_regulator_see_every_contract(
        client: TestClient, world: World, member: Callable[..., Any], role: Role) -> None:
    login(client, member(role).user.username)
    assert client.get(f"/market/contracts/{world.contract.id}").status_code == 200


@pytest.mark.parametrize("role", [Role.BUYER, Role.PROVIDER])
def test_anyone_else_is_told_the_contract_does_not_exist(
        client: TestClient, world: World, member: Callable[..., Any], role: Role) -> None:
    login(client, member(role).user.username)
    assert client.get(f"/market/contracts/{world.contract.id}").status_code == 404
    assert client.get(f"/market/contracts/{world.contract.id + 1000}").status_code == 404


def test_a_program_admin_may_not_open_contracts(
        client: TestClient, world: World, member: Callable[..., Any]) -> None:
    login(client, member(Role.PROGRAM_ADMIN).user.username)
    assert client.get(f"/market/contracts/{world.contract.id}").status_code in (403, 404)


def test_an_id_beyond_the_range_is_refused_not_a_crash(client: TestClient,
                                                        world: World) -> None:
    login(client, world.buyer.user.username)
    # Every route bounds its integer path parameters alike (web/deps.bounded_ids): a 404.
    assert client.get(f"/market/contracts/{2**63}").status_code == 404
    assert client.get(f"/market/orders/{2**63}").status_code == 404


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_contract_page_reads_in_both_languages(client: TestClient, world: World,
                                                   lang: str) -> None:
    login(client, world.buyer.user.username)
    client.cookies.set("suanli_lang", lang)
    text = client.get(f"/market/contracts/{world.contract.id}").text
    assert ("Delivered GPU-hours per day" if lang == "en" else "每日交付GPU时") in text
    assert ("Holds" if lang == "en" else "资金冻结") in text


def test_per_day_spreads_a_record_over_the_days_it_spans(world: World) -> None:
    start = world.start
    from datetime import timedelta

    got = per_day([(start + timedelta(hours=20), start + timedelta(hours=28), 8 * 3600 * 2)])
    assert got == {world.day1: 8, world.day2: 8}


def _order(db: Session, world: World) -> int:
    from datetime import timedelta

    from suanli.kit.timeutil import utcnow
    from suanli.market import orders_service
    from suanli.market.schemas import OrderCreate

    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    order = orders_service.place_order(db, org_ids={world.buyer.org_id}, user_id=None,
                                       data=OrderCreate(
        accelerators=["h20"], gpus=4, duration_hours=10, earliest_start=start,
        latest_end=start + timedelta(days=1), limit_cny_per_gpu_hour="7.50"))
    db.commit()
    return order.id


def test_the_order_page_shows_its_terms_to_its_buyer_only(
        client: TestClient, db: Session, world: World, member: Callable[..., Any]) -> None:
    order_id = _order(db, world)
    login(client, world.buyer.user.username)
    page = client.get(f"/market/orders/{order_id}")
    assert page.status_code == 200
    assert _between(page.text, 'data-testid="order-limit">') == "7.50"
    assert f'action="/market/orders/{order_id}/cancel"' in page.text
    assert client.get(f"/market/orders/{world.contract.order_id or 0}").status_code in (
        404, 422)
    client.cookies.clear()
    login(client, member(Role.BUYER).user.username)
    assert client.get(f"/market/orders/{order_id}").status_code == 404
    client.cookies.clear()
    login(client, member(Role.AUDITOR).user.username)
    page = client.get(f"/market/orders/{order_id}")
    assert page.status_code == 200 and "/cancel" not in page.text
    assert client.get("/market/orders/new").status_code == 403  # the form keeps its route


@pytest.mark.parametrize("who", ["buyer", "provider", Role.PLATFORM_ADMIN, Role.AUDITOR])
def test_every_link_on_the_contract_page_opens_for_its_viewer(
        client: TestClient, world: World, member: Callable[..., Any], who: Any) -> None:
    import re

    user = member(who) if isinstance(who, Role) else getattr(world, who)
    login(client, user.user.username)
    for path in (f"/market/contracts/{world.contract.id}", "/"):
        page = client.get(path).text
        links = set(re.findall(r'href="(/[^"#]*)', page)) - {"/logout"}
        broken = {link: client.get(link).status_code for link in links}
        assert {k: v for k, v in broken.items() if v >= 400} == {}, path
