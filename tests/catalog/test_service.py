"""The catalogue in the database: loading the packaged facts, corrections, latencies."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.audit.models import AuditRecord
from suanli.catalog import repository, service
from suanli.catalog.accelerators import load_accelerators
from suanli.catalog.classify import classify_spec
from suanli.catalog.models import Accelerator, City, Hub
from suanli.catalog.network import estimate_latency_ms, load_cities, load_hubs
from suanli.kit.errors import Conflict, NotFound, ValidationFailed


def _audit_count(db: Session, action: str) -> int:
    db.flush()
    from suanli.audit.service import write_pending

    write_pending(db)
    stmt = select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action)
    return int(db.execute(stmt).scalar_one())


def test_load_copies_every_packaged_fact_with_its_eccn(db: Session) -> None:
    report = service.load_reference_data(db)
    specs = load_accelerators()
    assert sorted(report.added["accelerators"]) == sorted(s.model for s in specs)
    assert len(report.added["hubs"]) == len(load_hubs()) == 10
    assert len(report.added["cities"]) == len(load_cities())
    for spec in specs:
        row = repository.accelerator(db, spec.model)
        assert row is not None
        assert (row.source, row.domestic, row.datacenter) == (spec.source, spec.domestic,
                                                                spec.datacenter)
        assert row.eccn == classify_spec(spec).eccn
        assert row.eccn_reason == classify_spec(spec).reason
    h100 = repository.accelerator(db, "h100-sxm")
    assert h100 is not None and h100.bf16_tflops_dense == Decimal("989.5")
    assert _audit_count(db, "catalog.load") == 1


def test_loading_twice_changes_nothing_and_audits_nothing(db: Session) -> None:
    service.load_reference_data(db)
    again = service.load_reference_data(db)
    assert not again.changed
    assert _audit_count(db, "catalog.load") == 1
    assert db.execute(select(func.count()).select_from(Accelerator)).scalar_one() == len(
        load_accelerators())
    assert db.execute(select(func.count()).select_from(Hub)).scalar_one() == 10
    assert db.execute(select(func.count()).select_from(City)).scalar_one() == len(load_cities())


def test_load_restores_drifted_packaged_rows_but_keeps_corrections(db: Session) -> None:
    service.load_reference_data(db)
    drifted = repository.accelerator(db, "h20")
    assert drifted is not None
    drifted.tdp_w = 1
    service.correct_accelerator(db, model="l20", changes={"tdp_w": 280})
    report = service.load_reference_data(db)
    assert report.updated["accelerators"] == ["h20"]
    assert "l20" in report.kept_corrected
    h20, l20 = repository.accelerator(db, "h20"), repository.accelerator(db, "l20")
    assert h20 is not None and h20.tdp_w == 400
    assert l20 is not None and l20.tdp_w == 280 and l20.corrected_at is not None


@pytest.mark.usefixtures("reference_data")
def test_correction_reclassifies_and_audits_before_and_after(db: Session) -> None:
    row = service.correct_accelerator(db, model="mlu370-x8", changes={"die_mm2": Decimal(300)})
    assert row.eccn == "3A090.a"
    assert "PD 6.82 >= 5.92" in row.eccn_reason
    db.flush()
    from suanli.audit import repository as audit_repo
    from suanli.audit.service import write_pending

    write_pending(db)
    records, _ = audit_repo.list_records(db, limit=5, offset=0, object_type="accelerator",
                                         object_id="mlu370-x8")
    assert records[0].action == "accelerator.correct"
    assert records[0].before["eccn"] == "undetermined" and records[0].before["die_mm2"] is None
    assert records[0].after["eccn"] == "3A090.a" and records[0].after["die_mm2"] == "300"


@pytest.mark.usefixtures("reference_data")
def test_correction_refuses_nulls_for_required_fields_and_unknown_fields(db: Session) -> None:
    with pytest.raises(ValidationFailed) as null:
        service.correct_accelerator(db, model="h20", changes={"vendor": None})
    assert null.value.field == "vendor"
    with pytest.raises(ValidationFailed) as unknown:
        service.correct_accelerator(db, model="h20", changes={"colour": "green"})
    assert unknown.value.field == "colour"
    with pytest.raises(NotFound) as missing:
        service.correct_accelerator(db, model="h999", changes={"tdp_w": 1})
    assert missing.value.field == "model"


@pytest.mark.usefixtures("reference_data")
def test_adding_an_existing_model_is_a_conflict(db: Session) -> None:
    with pytest.raises(Conflict) as exc:
        service.add_accelerator(db, model="h20", values={"vendor": "x"})
    assert exc.value.field == "model"


@pytest.mark.usefixtures("reference_data")
def test_latency_table_covers_hubs_and_city_locations(db: Session) -> None:
    table = service.latency_table(db)
    cities, hubs = load_cities(), load_hubs()
    assert set(table) == {c.id for c in cities}
    locations = {h.id for h in hubs} | {f"city:{c.id}" for c in cities}
    assert all(set(row) == locations for row in table.values())
    assert table["shanghai"]["city:shanghai"] == 1
    assert table["shanghai"]["gs-qingyang"] == 28
    beijing = next(c for c in cities if c.id == "beijing")
    shanghai = next(c for c in cities if c.id == "shanghai")
    assert table["beijing"]["city:shanghai"] == estimate_latency_ms(
        beijing.lat, beijing.lon, shanghai.lat, shanghai.lon)


@pytest.mark.usefixtures("reference_data")
def test_a_measured_latency_wins_until_cleared(db: Session) -> None:
    service.set_latency(db, city_id="shanghai", hub_id="gs-qingyang", latency_ms=17,
                        note="direct-connect network, 2026 measurement")
    assert service.latency_table(db)["shanghai"]["gs-qingyang"] == 17
    assert service.latency_table(db)["beijing"]["gs-qingyang"] == 19  # still the estimate
    service.set_latency(db, city_id="shanghai", hub_id="gs-qingyang", latency_ms=21)
    assert service.latency_table(db)["shanghai"]["gs-qingyang"] == 21
    service.clear_latency(db, city_id="shanghai", hub_id="gs-qingyang")
    assert service.latency_table(db)["shanghai"]["gs-qingyang"] == 28
    assert _audit_count(db, "latency.set") == 2
    assert _audit_count(db, "latency.clear") == 1


@pytest.mark.usefixtures("reference_data")
@pytest.mark.parametrize(("city", "hub", "ms", "field", "error"), [
    ("atlantis", "gs-qingyang", 5, "city", NotFound),
    ("shanghai", "mars-1", 5, "hub", NotFound),
    ("shanghai", "gs-qingyang", 0, "latency_ms", ValidationFailed),
    ("shanghai", "gs-qingyang", True, "latency_ms", ValidationFailed),
])
def test_bad_latency_names_the_field(db: Session, city: str, hub: str, ms: int, field: str,
                                     error: type[Exception]) -> None:
    with pytest.raises(error) as exc:
        service.set_latency(db, city_id=city, hub_id=hub, latency_ms=ms)
    assert getattr(exc.value, "field", None) == field
    assert repository.overrides(db) == []


def test_load_gives_each_model_its_packaged_reported_names(db: Session) -> None:
    service.load_reference_data(db)
    h100 = repository.accelerator(db, "h100-sxm")
    assert h100 is not None
    assert h100.reported_names == ["NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5 80GB"]
    assert service.model_for_reported_name(db, "nvidia h100  80gb hbm3") == "h100-sxm"
    assert service.model_for_reported_name(db, "Ascend910B3") == "ascend-910b3"
    assert service.model_for_reported_name(db, "Tesla T4") is None
    assert not service.load_reference_data(db).changed


def test_administrators_edit_reported_names_one_model_per_name(db: Session) -> None:
    service.load_reference_data(db)
    with pytest.raises(Conflict) as taken:
        service.correct_accelerator(db, model="l20", changes={
            "reported_names": ["NVIDIA L20", "NVIDIA H20"]})
    assert taken.value.field == "reported_names" and "h20" in taken.value.detail
    with pytest.raises(ValidationFailed) as twice:
        service.correct_accelerator(db, model="l20", changes={
            "reported_names": ["NVIDIA L20", "nvidia  L20"]})
    assert twice.value.field == "reported_names"
    row = service.correct_accelerator(db, model="l20", changes={
        "reported_names": ["NVIDIA L20", "NVIDIA L20 48GB"]})
    assert row.reported_names == ["NVIDIA L20", "NVIDIA L20 48GB"]
    assert row.corrected_at is not None
    assert service.model_for_reported_name(db, "NVIDIA L20 48GB") == "l20"
    assert _audit_count(db, "accelerator.correct") == 1
    report = service.load_reference_data(db)  # a correction is never reverted by a load
    assert "l20" in report.kept_corrected
    assert service.model_for_reported_name(db, "NVIDIA L20 48GB") == "l20"
    # a drifted packaged model gets its names back
    h20 = repository.accelerator(db, "h20")
    assert h20 is not None
    h20.names.clear()
    db.flush()
    assert service.model_for_reported_name(db, "NVIDIA H20") is None
    assert service.load_reference_data(db).updated["accelerators"] == ["h20"]
    assert service.model_for_reported_name(db, "NVIDIA H20") == "h20"
