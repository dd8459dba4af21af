"""Building a small market for the market tests: a listable cluster, offers, buyers with
cash and vouchers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.market.capacity import next_whole_hour
from suanli.vouchers import service as voucher_service
from suanli.vouchers.models import Voucher
from tests.programs.factory import make_program
from tests.providers.helpers import attest_all, make_cluster, make_dc, new_key

_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash test users' passwords with cheap argon2 parameters: the market tests make many
    users and the login check reads the parameters from each hash, so nothing else changes."""
    monkeypatch.setattr(auth_service, "hash_password", _CHEAP.hash)


def hour(offset: int = 1) -> datetime:
    """A whole hour ``offset`` hours after the next whole hour."""
    return next_whole_hour(utcnow()) + timedelta(hours=offset)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def listable_cluster(client: TestClient, headers: dict[str, str], *, model: str = "h20",
                     nodes: int = 2, gpus_per_node: int = 8, name: str = "c1",
                     dc: dict[str, Any] | None = None, **dc_change: Any) -> dict[str, Any]:
    """A cluster that passed screening and attestation: its offers may go live."""
    centre = dc or make_dc(client, headers, name=f"DC {name}", **dc_change)
    key, public = new_key()
    cluster = make_cluster(client, headers, centre["id"], model=model, nodes=nodes,
                           gpus_per_node=gpus_per_node, key=public, name=name)
    attest_all(client, headers, cluster, key)
    return cluster


def offer_body(cluster: int, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"cluster_id": cluster, "gpus": 16, "start_at": iso(hour(0)),
                            "end_at": iso(hour(72)), "ask_cny_per_gpu_hour": "10.00",
                            "min_lease_hours": 1, "service_class": "training",
                            "cancel_fee_rate": "0.5"}
    body.update(change)
    return body


def post_offer(client: TestClient, headers: dict[str, str], cluster_id: int, **change: Any
               ) -> dict[str, Any]:
    response = client.post("/api/v1/market/offers", json=offer_body(cluster_id, **change),
                           headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def order_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"accelerators": ["h20"], "gpus": 8, "duration_hours": 10,
                            "earliest_start": iso(hour(0)), "latest_end": iso(hour(48)),
                            "limit_cny_per_gpu_hour": "12.00"}
    body.update(change)
    return body


def deposit(client: TestClient, admin_headers: dict[str, str], org: str, amount: str,
            reference: str = "bank-1") -> None:
    response = client.post("/api/v1/market/deposits", headers=admin_headers,
                           json={"organisation": org, "amount": amount,
                                 "reference": reference})
    assert response.status_code == 201, response.text


def issue_voucher(db: Session, member: Callable[..., Any], holder_org_id: int, *,
                  value_fen: int = 1_000_000_00, **program: Any) -> Voucher:
    """A voucher of a fresh program (state 50 %, commercial 30 %, +10 % domestic, max 60 %)."""
    authority = member(Role.PROGRAM_ADMIN)
    prog = make_program(db, authority.org_id, **program)
    voucher = voucher_service.issue(db, program=prog, holder_org_id=holder_org_id,
                                    value_fen=value_fen, application_id=None, user_id=None)
    db.commit()
    return voucher


@dataclass
class Market:
    provider: Any
    buyer: Any
    admin: Any
    cluster: dict[str, Any]


def small_market(client: TestClient, member: Callable[..., Any], *,
                 cash: str = "100000.00") -> Market:
    """A state-run provider in Qingyang with a listable 16-GPU H20 cluster, a funded buyer
    in Shanghai and a platform administrator."""
    provider = member(Role.PROVIDER)
    buyer = member(Role.BUYER)
    admin = member(Role.PLATFORM_ADMIN)
    cluster = listable_cluster(client, provider.headers)
    if cash:
        deposit(client, admin.headers, buyer.org_slug, cash)
    return Market(provider, buyer, admin, cluster)


@dataclass
class FreshWorld:
    """A committed market on a database of its own, for tests with several sessions."""

    factory: sessionmaker[Session]
    buyer_org_id: int
    offer_id: int


def _fresh_member(factory: sessionmaker[Session], role: Role, slug: str) -> dict[str, str]:
    kind = next(iter(sorted(ROLE_ORG_KINDS[role])))
    with unit_of_work(factory) as session:
        auth_service.create_organisation(session, slug=slug, name=slug, kind=OrgKind(kind))
        user = auth_service.create_user(session, username=f"u-{slug}", display_name=slug,
                                        password="correct horse battery",
                                        memberships=[(slug, role)])
        token = auth_service.issue_token(session, user=user, name="test").secret
    return {"Authorization": f"Bearer {token}"}


def fresh_world(url: str, *, gpus: int = 16) -> FreshWorld:
    """A provider's live offer of ``gpus`` H20s and a buyer with 100,000 CNY of cash."""
    from suanli.app import create_app
    from suanli.catalog.service import load_reference_data

    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        load_reference_data(session)
    provider = _fresh_member(factory, Role.PROVIDER, "fresh-dc")
    _fresh_member(factory, Role.BUYER, "fresh-ai")
    admin = _fresh_member(factory, Role.PLATFORM_ADMIN, "fresh-platform")
    with TestClient(create_app(sessions=factory)) as client:
        cluster = listable_cluster(client, provider, nodes=2, gpus_per_node=gpus // 2)
        offer = post_offer(client, provider, cluster["id"], gpus=gpus)
        deposit(client, admin, "fresh-ai", "100000.00")
    with unit_of_work(factory) as session:
        org = auth_repo.org_by_slug(session, "fresh-ai")
        assert org is not None
        buyer_org_id = org.id
    return FreshWorld(factory, buyer_org_id, offer["id"])
