"""A small world for the metering, settlement and reports tests, built through the real
services: a city program and its voucher, a funded startup, a state-run provider with an
attested 16-GPU H20 cluster in Qingyang, an offer, and a contract over two whole days
(Asia/Shanghai) that have already ended."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.catalog.service import load_reference_data
from suanli.kit.timeutil import utcnow
from suanli.market import funds, instant, offers_service
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy, OfferCreate
from suanli.programs.enums import RedemptionMode
from suanli.programs.models import Program
from suanli.providers import attestations
from suanli.providers import service as providers
from suanli.providers.attestation import build_payload, load_private_key, new_key_pair, sign
from suanli.providers.models import Cluster
from suanli.providers.schemas import ClusterCreate, DataCentreCreate
from suanli.settlement.charges import period_bounds, period_of
from suanli.vouchers import service as vouchers
from suanli.vouchers.models import Voucher
from tests.programs.factory import make_program


@dataclass(frozen=True)
class Org:
    """An organisation without users (hashing passwords is the slow part of a member)."""

    org_id: int
    org_slug: str


@dataclass
class World:
    authority: Org
    buyer: Any
    provider: Any
    program: Program
    voucher: Voucher
    cluster: Cluster
    contract: Contract
    day1: date
    day2: date

    @property
    def uuids(self) -> list[str]:
        return [f"GPU-t-{self.cluster.id:04d}-{n:02d}-{i}" for n in range(self.cluster.nodes)
                for i in range(self.cluster.gpus_per_node)]

    @property
    def start(self) -> datetime:
        return self.contract.start_at


def org_maker(db: Session) -> Callable[..., Org]:
    """Like the `member` fixture, but organisations only: no user, no password to hash."""
    from suanli.auth.roles import ROLE_ORG_KINDS

    def make(role: Role, org: str | None = None) -> Org:
        kind = next(iter(sorted(ROLE_ORG_KINDS[role])))
        slug = org or f"{kind}-{uuid.uuid4().hex[:8]}"
        made = auth_service.create_organisation(db, slug=slug, name=slug.title(),
                                                kind=OrgKind(kind))
        return Org(made.id, slug)

    return make


def attested_cluster(db: Session, provider_org_id: int, *, name: str = "qy-h20") -> Cluster:
    dc = providers.register_data_centre(db, org_ids={provider_org_id}, data=DataCentreCreate(
        name=f"DC {name}", hub_id="gs-qingyang", operator_type="state", pue=Decimal("1.20"),
        green_share=Decimal("0.5"), racks=100))
    private, public = new_key_pair()
    cluster = providers.register_cluster(db, org_ids={provider_org_id}, data=ClusterCreate(
        data_centre_id=dc.id, name=name, accelerator_model="h20", nodes=2, gpus_per_node=8,
        interconnect="RoCE", attestation_key=public))
    key = load_private_key(private)
    for node in range(cluster.nodes):
        gpus = [{"index": i, "name": "NVIDIA H20", "memory_total_mib": 97871,
                 "uuid": f"GPU-t-{cluster.id:04d}-{node:02d}-{i}"}
                for i in range(cluster.gpus_per_node)]
        payload = build_payload(cluster_id=cluster.id, hostname=f"node-{node:02d}", gpus=gpus,
                                now=utcnow())
        attestations.receive(db, org_ids={provider_org_id}, cluster_id=cluster.id,
                             payload=payload, signature=sign(payload, key))
    return cluster


def contract_on(db: Session, cluster: Cluster, buyer_org_id: int, voucher: Voucher | None,
                start: datetime, *, gpus: int = 8, hours: int = 48,
                ask: str = "10.00") -> Contract:
    before = start - timedelta(hours=1)
    offer = offers_service.create_offer(db, org_ids={cluster.organisation_id}, now=before,
                                        data=OfferCreate(
        cluster_id=cluster.id, gpus=16, start_at=start, end_at=start + timedelta(days=4),
        ask_cny_per_gpu_hour=ask))
    return instant.instant_buy(db, org_ids={buyer_org_id}, now=before, data=InstantBuy(
        offer_id=offer.id, gpus=gpus, hours=hours, start_at=start,
        voucher_id=None if voucher is None else voucher.id))


def build_world(db: Session, member: Callable[..., Any], *,
                mode: RedemptionMode = RedemptionMode.PROVIDER_CLAIMS,
                voucher_fen: int = 1_000_000_00, cash_fen: int = 10_000_000,
                days_ago: int = 3, hours: int = 48, ask: str = "10.00", **program: Any
                ) -> World:
    """The world, with the contract running over the days `days_ago` and `days_ago - 1`
    (`hours` long from the first midnight, at `ask` CNY per GPU-hour)."""
    load_reference_data(db)
    buyer, provider = member(Role.BUYER), member(Role.PROVIDER)
    slug = f"authority-{uuid.uuid4().hex[:8]}"
    authority = Org(auth_service.create_organisation(
        db, slug=slug, name=slug.title(), kind=OrgKind.AUTHORITY, city="shanghai").id, slug)
    day1 = period_of(utcnow()) - timedelta(days=days_ago)
    start = period_bounds(day1)[0]
    prog = make_program(db, authority.org_id, redemption_mode=mode,
                        voucher_min_fen=min(voucher_fen, 1_000_000_00), **program)
    voucher = vouchers.issue(db, program=prog, holder_org_id=buyer.org_id, value_fen=voucher_fen,
                             application_id=None, user_id=None, now=start - timedelta(hours=2))
    funds.record_deposit(db, organisation=buyer.org_slug, amount_fen=cash_fen,
                         reference="bank-1")
    cluster = attested_cluster(db, provider.org_id)
    contract = contract_on(db, cluster, buyer.org_id, voucher, start, hours=hours, ask=ask)
    db.flush()
    return World(authority, buyer, provider, prog, voucher, cluster, contract, day1,
                 day1 + timedelta(days=1))


_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test users' passwords hashed with cheap argon2 parameters (verification reads the
    parameters from each hash, so logging in still works); imported by our conftests."""
    monkeypatch.setattr(auth_service, "hash_password", _CHEAP.hash)
