"""The providers' demo world: all ten hubs, every plan carried out, and idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from suanli.config import get_settings
from suanli.demo.build import seed_identity
from suanli.demo.providers import CLUSTERS, seed_catalogue, seed_providers
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.providers import compliance, repository, service
from suanli.providers.models import Attestation, Cluster, ClusterStatus


@pytest.fixture
def demo_db(fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_demo_covers_the_hubs_and_every_screening_outcome(demo_db: str) -> None:
    factory = make_sessionmaker(make_engine(demo_db))
    for step in (seed_identity, seed_catalogue, seed_providers):
        with unit_of_work(factory) as session:
            step(session)
    with unit_of_work(factory) as session:
        dcs = repository.data_centres(session, None)
        assert {d.hub_id for d in dcs if d.hub_id} == {
            "bth-zhangjiakou", "yrd-demo-zone", "yrd-wuhu", "gba-shaoguan", "cy-tianfu",
            "cy-chongqing", "im-horinger", "gz-guian", "gs-qingyang", "nx-zhongwei"}
        assert {service.location_key(d) for d in dcs} >= {"city:shanghai"}
        assert {d.operator_type for d in dcs} == {"state", "commercial"}
        clusters = {c.name: c for c in repository.clusters(session, None)}
        assert len(clusters) == len(CLUSTERS)
        assert clusters["GA-H20-02"].status == ClusterStatus.SUSPENDED
        assert clusters["QY-H800-01"].status == ClusterStatus.AWAITING_DECISION
        assert clusters["ZW-A800-01"].status == ClusterStatus.LISTABLE
        assert clusters["WH-910B-01"].status == ClusterStatus.PENDING
        listable = [c for c in clusters.values() if c.status == ClusterStatus.LISTABLE]
        assert {c.accelerator_model for c in listable} >= {"ascend-910b", "h20", "l20"}
        queue = {e.cluster.name: e for e in compliance.queue(session)}
        assert set(queue) == {"GA-H20-02", "QY-H800-01", "WH-910B-01"}
        assert [c.kind for c in queue["GA-H20-02"].open_cases] == ["attestation_mismatch"]
        assert queue["QY-H800-01"].listability.reasons == [
            "3A090.a part (TPP 15,832 >= 4,800): 2 provenance document(s) uploaded",
            "awaiting auditor decision"]
        counts = (session.execute(select(func.count()).select_from(Cluster)).scalar_one(),
                  session.execute(select(func.count()).select_from(Attestation)).scalar_one())
    for step in (seed_identity, seed_catalogue, seed_providers):
        with unit_of_work(factory) as session:
            step(session)
    with unit_of_work(factory) as session:
        again = (session.execute(select(func.count()).select_from(Cluster)).scalar_one(),
                 session.execute(select(func.count()).select_from(Attestation)).scalar_one())
    assert again == counts
