"""A capacity-grant world: an authority whose program makes grants (10 %, cap 1 m, listed
30 days), a provider with a listable cluster of domestic chips (Ascend 910B) and a live
offer on it, another with a foreign-chip cluster."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.programs.models import Program
from tests.market.helpers import hour, iso, listable_cluster, post_offer
from tests.programs.factory import make_program
from tests.programs.world import World, docs_dir, world

__all__ = ["docs_dir", "world"]

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TERMS = {"share": "0.10", "cap_cny": "1000000.00", "listing_days": 30}


@dataclass
class GrantWorld:
    w: World
    provider: Any
    rival: Any  # another provider
    program: Program
    cluster: dict[str, Any]  # domestic, listable, offered for 60 days
    foreign: dict[str, Any]  # an NVIDIA H20 cluster of the same provider
    offer: dict[str, Any]


def upload(client: TestClient, who: Any, cluster_id: int, name: str = "invoice.pdf") -> int:
    response = client.post("/api/v1/documents", headers=who.headers,
                           data={"object_type": "grant_evidence", "object_id": str(cluster_id)},
                           files={"file": (name, PDF, "application/pdf")})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def gw(db: Session, client: TestClient, world: World, member: Callable[..., Any],
       reference_data: None, docs_dir: Any) -> GrantWorld:
    provider = member(Role.PROVIDER, org="etown-gpu")
    rival = member(Role.PROVIDER, org="rival-gpu")
    program = make_program(db, world.bureau.org_id, capacity_grant=TERMS)
    db.commit()
    cluster = listable_cluster(client, provider.headers, model="ascend-910b", name="c-910b")
    foreign = listable_cluster(client, provider.headers, model="h20", name="c-h20",
                               dc={"id": cluster["data_centre_id"]})
    offer = post_offer(client, provider.headers, cluster["id"], end_at=iso(hour(24 * 60)))
    return GrantWorld(world, provider, rival, program, cluster, foreign, offer)
