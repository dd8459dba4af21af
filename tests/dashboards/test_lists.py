"""No list silently stops: with one row more than a page, the pager says so and the next
page shows the rest; filters and the search keep to the pages' links."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.market.models import Order, OrderStatus, Round, RoundStatus
from suanli.web import listing
from suanli.web.listing import ListQuery, Pager, paginate
from tests.conftest import login

SIZE = 3


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 3 rows: N+1 rows are a handful, not hundreds."""
    monkeypatch.setattr(listing, "PAGE_SIZE", SIZE)


def _ids(page: str, attr: str) -> list[int]:
    return [int(x) for x in re.findall(rf'{attr}="(\d+)"', page)]


def _orders(db: Session, org_id: int, n: int) -> list[int]:
    start = utcnow() + timedelta(days=1)
    rows = [Order(organisation_id=org_id, accelerators=["h20"], gpus=1, duration_hours=1,
                  earliest_start=start, latest_end=start + timedelta(hours=5), limit_fen=100,
                  status=OrderStatus.CANCELLED if i == 0 else OrderStatus.OPEN)
            for i in range(n)]
    db.add_all(rows)
    db.commit()
    return [r.id for r in rows]


def test_orders_list_n_plus_one_rows_over_two_pages(client: TestClient, db: Session,
                                                    member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    made = _orders(db, buyer.org_id, SIZE + 1)
    login(client, buyer.user.username)
    first = client.get("/market/orders").text
    assert 'data-total="4"' in first and 'data-testid="pager-next"' in first
    second = client.get("/market/orders?page=2").text
    shown = _ids(first, "data-order") + _ids(second, "data-order")
    assert sorted(shown) == sorted(made)
    cancelled = client.get("/market/orders?status=cancelled").text
    assert _ids(cancelled, "data-order") == [made[0]] and 'data-total="1"' in cancelled
    assert client.get("/market/orders?status=nonsense").status_code == 200
    assert client.get("/market/orders?page=0").status_code == 422


def test_rounds_list_pages_and_filters(client: TestClient, db: Session,
                                       member: Callable[..., Any]) -> None:
    now = utcnow()
    rows = [Round(status=RoundStatus.FAILED if i == 0 else RoundStatus.COMPLETED,
                  trigger="cli", horizon_start=now, slot_hours=1, slots=1,
                  time_limit_s=1, started_at=now) for i in range(SIZE + 1)]
    db.add_all(rows)
    db.commit()
    login(client, member(Role.AUDITOR).user.username)
    first = client.get("/market/rounds").text
    second = client.get("/market/rounds?page=2").text
    assert 'data-total="4"' in first
    assert sorted(_ids(first, "data-round") + _ids(second, "data-round")) == sorted(
        r.id for r in rows)
    assert 'data-total="1"' in client.get("/market/rounds?status=failed").text


def test_the_pager_keeps_the_search_and_the_filter() -> None:
    pager = Pager(ListQuery(page=2, q="h20 qy", status="open", size=10), 35, "/x")
    assert pager.pages == 4 and (pager.first, pager.last) == (11, 20)
    assert pager.href(3) == "/x?q=h20+qy&status=open&page=3"
    assert pager.href(1) == "/x?q=h20+qy&status=open"
    rows, p = paginate(list(range(25)), ListQuery(page=3, size=10), "/y")
    assert rows == list(range(20, 25)) and p.total == 25
    assert ListQuery(q="Acme H20").matches("acme-1", "h20 cluster")
    assert not ListQuery(q="acme h100").matches("acme-1", "h20 cluster")


def test_contracts_and_offers_lists_page_through_every_row(
        client: TestClient, db: Session, member: Callable[..., Any]) -> None:
    from suanli.market.models import Contract, ContractState, Offer, OfferStatus
    from tests.settlement.world import build_world

    w = build_world(db, member)
    base = w.contract
    extra = [Contract(source=base.source, offer_id=base.offer_id, buyer_org_id=base.buyer_org_id,
                      provider_org_id=base.provider_org_id,
                      accelerator_model=base.accelerator_model, gpus=1, start_at=base.start_at,
                      end_at=base.end_at, gpu_hours=1, unit_price_fen=1, subsidy_rate=0,
                      cost_fen=1, subsidy_fen=0, buyer_pays_fen=1,
                      state=ContractState.CANCELLED) for _ in range(SIZE)]
    offers = [Offer(organisation_id=w.provider.org_id, cluster_id=w.cluster.id,
                    accelerator_model="h20", gpus=1, start_at=base.start_at,
                    end_at=base.end_at, ask_fen=100, min_lease_hours=1,
                    service_class="training", cancel_fee_rate=0,
                    status=OfferStatus.WITHDRAWN) for _ in range(SIZE)]
    db.add_all([*extra, *offers])
    db.commit()
    login(client, w.buyer.user.username)
    first = client.get("/market/contracts").text
    second = client.get("/market/contracts?page=2").text
    assert 'data-total="4"' in first
    assert sorted(_ids(first, "data-contract") + _ids(second, "data-contract")) == sorted(
        [base.id, *(c.id for c in extra)])
    assert _ids(client.get("/market/contracts?status=reserved").text,
                "data-contract") == [base.id]
    client.cookies.clear()
    login(client, w.provider.user.username)
    first = client.get("/market/provider/offers").text
    assert 'data-total="4"' in first and 'data-testid="pager-next"' in first
    assert 'data-total="1"' in client.get("/market/provider/offers?status=live").text


def test_programs_applications_review_and_compliance_lists_page_and_search(
        client: TestClient, db: Session, member: Callable[..., Any]) -> None:
    from suanli.applications import service as applications
    from tests.programs.factory import make_program

    admin = member(Role.PLATFORM_ADMIN)
    authority = member(Role.PROGRAM_ADMIN)
    programs = [make_program(db, authority.org_id, name=f"Galaxy{n}")
                for n in range(SIZE + 1)]
    buyers = [member(Role.BUYER) for _ in range(SIZE + 1)]
    for buyer in buyers:
        applications.create(db, program=programs[0], organisation_id=buyer.org_id,
                            user_id=None, requested_value_fen=None)
    db.commit()
    login(client, admin.user.username)
    for path, attr, total in (("/programs", "data-program", SIZE + 1),
                              ("/applications", "data-application", SIZE + 1)):
        first, second = client.get(path).text, client.get(f"{path}?page=2").text
        assert f'data-total="{total}"' in first, path
        assert len(set(_ids(first, attr)) | set(_ids(second, attr))) == total, path
    found = client.get("/programs?q=GALAXY2").text
    assert _ids(found, "data-program") == [programs[2].id]
    assert 'data-total="0"' in client.get("/applications?status=approved").text
    assert 'data-total="4"' in client.get("/applications?status=draft").text
    client.cookies.clear()
    login(client, member(Role.AUDITOR).user.username)
    assert 'data-testid="pager"' in client.get("/compliance").text


def test_the_review_and_compliance_queues_page_through_every_row(
        client: TestClient, db: Session, member: Callable[..., Any]) -> None:
    from decimal import Decimal

    from suanli.applications.models import Application
    from suanli.applications.states import ApplicationStatus
    from suanli.catalog.service import load_reference_data
    from suanli.providers import service as providers
    from suanli.providers.schemas import ClusterCreate, DataCentreCreate
    from tests.programs.factory import make_program

    load_reference_data(db)
    reviewer = member(Role.REVIEWER)
    program = make_program(db, reviewer.org_id)
    buyers = [member(Role.BUYER) for _ in range(SIZE + 1)]
    waiting = [Application(program_id=program.id, organisation_id=b.org_id, open_slot=True,
                           status=ApplicationStatus.NEEDS_REVIEW, submitted_at=utcnow())
               for b in buyers]
    db.add_all(waiting)
    provider = member(Role.PROVIDER)
    dc = providers.register_data_centre(db, org_ids={provider.org_id}, data=DataCentreCreate(
        name="DC q", hub_id="gs-qingyang", operator_type="state", pue=Decimal("1.20"),
        green_share=Decimal("0.5"), racks=10))
    for n in range(SIZE + 1):
        providers.register_cluster(db, org_ids={provider.org_id}, data=ClusterCreate(
            data_centre_id=dc.id, name=f"pending-{n}", accelerator_model="h20", nodes=1,
            gpus_per_node=8, interconnect="RoCE"))
    db.commit()
    login(client, reviewer.user.username)
    first, second = client.get("/review").text, client.get("/review?page=2").text
    assert 'data-total="4"' in first
    assert sorted(_ids(first, "data-application") + _ids(second, "data-application")) == \
        sorted(a.id for a in waiting)
    client.cookies.clear()
    login(client, member(Role.AUDITOR).user.username)
    first = client.get("/compliance").text
    assert 'data-total="4"' in first and 'data-testid="pager-next"' in first
    assert 'data-total="1"' in client.get("/compliance?q=pending-2").text
