"""Catalogue rules: loading the packaged facts, administrators' corrections, latencies.

The packaged CSVs (``catalog/data``) are the reference; ``load_reference_data`` copies
them into the tables and may run any number of times. A row an administrator added or
corrected (``corrected_at`` set) is left alone by later loads, so a correction is never
silently reverted. Every change recomputes the model's ECCN with ``classify`` and is
audited with its before and after.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.catalog import repository
from suanli.catalog.accelerators import AcceleratorSpec, load_accelerators
from suanli.catalog.classify import FigureError, classify
from suanli.catalog.models import Accelerator, City, Hub, LatencyOverride, ReportedName
from suanli.catalog.network import estimate_latency_ms, latency_matrix, load_cities, load_hubs
from suanli.catalog.reported_names import (
    clean_names,
    model_for,
    name_key,
    packaged_reported_names,
)
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow

SPEC_FIELDS = (
    "vendor", "name", "domestic", "datacenter", "bf16_tflops_dense", "int8_tops_dense",
    "memory_gb", "memory_bw_gbs", "interconnect_gbs", "tdp_w", "die_mm2", "source",
)  # fmt: skip
REQUIRED_FIELDS = frozenset({"vendor", "name", "domestic", "datacenter", "source"})
HUB_FIELDS = ("name", "hub", "province", "side", "pue_target", "lat", "lon", "role", "source")
CITY_FIELDS = ("name", "name_zh", "lat", "lon")
# Data centres outside the ten hubs are located by their city under this key prefix.
CITY_LOCATION_PREFIX = "city:"

# Called with each accelerator whose ECCN changed, so that other domains can re-screen
# what uses it (the providers domain registers itself; the catalogue knows nothing of it).
ReclassifyHook = Callable[[Session, Accelerator], None]
RECLASSIFY_HOOKS: list[ReclassifyHook] = []


@dataclass
class LoadReport:
    """What one load changed, per table: ids added and updated."""

    added: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    kept_corrected: list[str] = field(default_factory=list)
    # Packaged reported names left out because another (corrected) model lists them.
    name_conflicts: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(self.added.values()) or any(self.updated.values())


def snapshot(row: Accelerator) -> dict[str, Any]:
    """The audited picture of a model: every field, figures as exact decimal text."""
    out: dict[str, Any] = {"model": row.model, "eccn": row.eccn}
    for name in SPEC_FIELDS:
        value = getattr(row, name)
        out[name] = plain_figure(value)
    out["reported_names"] = row.reported_names
    return out


def plain_figure(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _classify_row(row: Accelerator) -> None:
    try:
        result = classify(row.model, bf16_tflops_dense=row.bf16_tflops_dense,
                          int8_tops_dense=row.int8_tops_dense, die_mm2=row.die_mm2,
                          datacenter=row.datacenter)
    except FigureError as exc:
        raise ValidationFailed(exc.problem, field=exc.field) from None
    row.eccn, row.eccn_reason = result.eccn, result.reason


def _same(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, Decimal | float | int) and isinstance(b, Decimal | float | int):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def _apply(row: Any, values: Mapping[str, object], names: tuple[str, ...]) -> bool:
    """Set the named attributes; True when any value differs from what was there."""
    changed = False
    for name in names:
        if not _same(getattr(row, name), values[name]):
            setattr(row, name, values[name])
            changed = True
    return changed


def _spec_values(spec: AcceleratorSpec) -> dict[str, object]:
    return {name: getattr(spec, name) for name in SPEC_FIELDS}


def _load_accelerators(session: Session, report: LoadReport) -> None:
    added, updated = report.added.setdefault("accelerators", []), \
        report.updated.setdefault("accelerators", [])
    for spec in load_accelerators():
        row = repository.accelerator(session, spec.model)
        if row is None:
            row = Accelerator(model=spec.model, **_spec_values(spec))
            _classify_row(row)
            repository.add(session, row)
            added.append(spec.model)
        elif row.corrected_at is not None:
            report.kept_corrected.append(spec.model)
        elif _apply(row, _spec_values(spec), SPEC_FIELDS):
            before = row.eccn
            _classify_row(row)
            session.flush()
            updated.append(spec.model)
            if row.eccn != before:
                _run_hooks(session, row)


def _sync_packaged_names(session: Session, report: LoadReport) -> None:
    """Give every model no administrator corrected exactly its packaged reported names."""
    packaged = packaged_reported_names()
    rows = [r for r in repository.accelerators(session) if r.corrected_at is None]
    changed: set[str] = set()
    for row in rows:  # first drop names, so that a name may move from one model to another
        keep = {name_key(n) for n in packaged.get(row.model, [])}
        for gone in [n for n in row.names if n.key not in keep]:
            row.names.remove(gone)
            changed.add(row.model)
    session.flush()
    for row in rows:
        have = {n.key for n in row.names}
        for name in packaged.get(row.model, []):
            key = name_key(name)
            if key in have:
                continue
            owner = repository.reported_name(session, key)
            if owner is not None:
                report.name_conflicts.append(f"{name} ({owner.model})")
                continue
            row.names.append(ReportedName(key=key, model=row.model, name=name))
            session.flush()
            changed.add(row.model)
    updated = report.updated.setdefault("accelerators", [])
    added = set(report.added.get("accelerators", []))
    updated += sorted(changed - added - set(updated))


def _load_places(session: Session, report: LoadReport) -> None:
    for table, items, model, names in (
        ("hubs", load_hubs(), Hub, HUB_FIELDS),
        ("cities", load_cities(), City, CITY_FIELDS),
    ):
        added, updated = report.added.setdefault(table, []), report.updated.setdefault(table, [])
        for item in items:
            values = {name: getattr(item, name) for name in names}
            row = session.get(model, item.id)
            if row is None:
                repository.add(session, model(id=item.id, **values))
                added.append(item.id)
            elif _apply(row, values, names):
                updated.append(item.id)
    session.flush()


def load_reference_data(session: Session) -> LoadReport:
    """Copy the packaged accelerators, hubs and cities into the tables (idempotent).

    New rows are added and changed facts updated (ECCN recomputed); rows an
    administrator corrected are kept. One audit record summarises a load that changed
    anything; a load that changed nothing writes nothing.
    """
    report = LoadReport()
    _load_places(session, report)
    _load_accelerators(session, report)
    _sync_packaged_names(session, report)
    if report.changed:
        audit.record(session, action="catalog.load", object_type="catalog",
                     object_id="reference", after={"added": report.added,
                                                   "updated": report.updated})
    return report


def get_accelerator(session: Session, model: str, *, field_name: str = "model") -> Accelerator:
    """The model, or NotFound naming ``field_name``."""
    row = repository.accelerator(session, model)
    if row is None:
        raise NotFound(f"no accelerator model {model!r} in the catalogue", field=field_name)
    return row


def find_accelerator(session: Session, model: str) -> Accelerator | None:
    return repository.accelerator(session, model)


def reported_name_table(session: Session) -> dict[str, str]:
    """Name keys to model ids: what attestations match reported GPU names against."""
    return repository.reported_name_table(session)


def model_for_reported_name(session: Session, name: str) -> str | None:
    """The model whose listed names include ``name`` (case and spacing aside), or None."""
    return model_for(name, repository.reported_name_table(session))


def _set_names(session: Session, row: Accelerator, names: list[str]) -> bool:
    """Make ``names`` the model's reported names; True when they changed. A name another
    model lists is a 409 naming ``reported_names``."""
    try:
        cleaned = clean_names(names)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="reported_names") from None
    for name in cleaned:
        owner = repository.reported_name(session, name_key(name))
        if owner is not None and owner.model != row.model:
            raise Conflict(f"{name!r} is already a reported name of {owner.model}",
                           field="reported_names")
    if [(n.key, n.name) for n in row.names] == sorted(
            ((name_key(n), n) for n in cleaned), key=lambda kn: kn[1]):
        return False
    wanted = {name_key(n): n for n in cleaned}
    for gone in [n for n in row.names if wanted.get(n.key) != n.name]:
        row.names.remove(gone)
    session.flush()
    have = {n.key for n in row.names}
    for key, name in wanted.items():
        if key not in have:
            row.names.append(ReportedName(key=key, model=row.model, name=name))
    session.flush()
    session.refresh(row, ["names"])
    return True


def find_hub(session: Session, hub_id: str) -> Hub | None:
    return repository.hub(session, hub_id)


def find_city(session: Session, city_id: str) -> City | None:
    return repository.city(session, city_id)


def _run_hooks(session: Session, row: Accelerator) -> None:
    for hook in RECLASSIFY_HOOKS:
        hook(session, row)


def add_accelerator(session: Session, *, model: str, values: Mapping[str, object]) -> Accelerator:
    """An administrator's new model, classified and audited; 409 when the id is taken."""
    if repository.accelerator(session, model) is not None:
        raise Conflict(f"accelerator model {model!r} already exists", field="model")
    row = Accelerator(model=model, **{name: values.get(name) for name in SPEC_FIELDS})
    _classify_row(row)
    row.corrected_at = utcnow()
    repository.add(session, row)
    names = values.get("reported_names")
    if names:
        _set_names(session, row, list(names))  # type: ignore[call-overload]
    audit.record(session, action="accelerator.create", object_type="accelerator",
                 object_id=model, after=snapshot(row))
    return row


def correct_accelerator(
    session: Session, *, model: str, changes: Mapping[str, object]
) -> Accelerator:
    """Apply an administrator's correction, reclassify, audit before and after.

    ``changes`` holds only the fields to change; None clears a figure (unknown) but is
    refused for vendor, name, domestic, datacenter and source. ``reported_names``, when
    given, replaces the list of names the model's parts report.
    """
    row = get_accelerator(session, model)
    figures = {k: v for k, v in changes.items() if k != "reported_names"}
    for name, value in figures.items():
        if name not in SPEC_FIELDS:
            raise ValidationFailed("is not a field of an accelerator", field=name)
        if value is None and name in REQUIRED_FIELDS:
            raise ValidationFailed("must not be null", field=name)
    before = snapshot(row)
    names = changes.get("reported_names")
    renamed = names is not None and _set_names(session, row, list(names))  # type: ignore[call-overload]
    if not _apply(row, figures, tuple(figures)) and not renamed:
        return row
    _classify_row(row)
    row.corrected_at = utcnow()
    session.flush()
    audit.record(session, action="accelerator.correct", object_type="accelerator",
                 object_id=model, before=before, after=snapshot(row))
    if row.eccn != before["eccn"]:
        _run_hooks(session, row)
    return row


@dataclass(frozen=True)
class _Place:
    """A city used as a location: data centres outside the hubs are placed at their city."""

    id: str
    lat: float
    lon: float


def city_location(city_id: str) -> str:
    """The location key of a data centre that is in a city but in no hub."""
    return CITY_LOCATION_PREFIX + city_id


def latency_table(session: Session) -> dict[str, dict[str, int]]:
    """Round-trip ms from every city to every location: ``table[city_id][location]``.

    Locations are the hub ids and ``city:<id>`` for every city (where a data centre
    outside the hubs stands). Hub entries are estimates from distance with the
    administrators' measured overrides applied; city locations are estimates only
    (1 ms within the same city), as overrides are measured against hubs.
    """
    cities = repository.cities(session)
    places = [_Place(city_location(c.id), c.lat, c.lon) for c in cities]
    measured = {(o.city_id, o.hub_id): o.latency_ms for o in repository.overrides(session)}
    return latency_matrix(cities, [*repository.hubs(session), *places], measured)


def _known_pair(session: Session, city_id: str, hub_id: str) -> tuple[City, Hub]:
    city = repository.city(session, city_id)
    if city is None:
        raise NotFound(f"no city {city_id!r}", field="city")
    hub = repository.hub(session, hub_id)
    if hub is None:
        raise NotFound(f"no hub {hub_id!r}", field="hub")
    return city, hub


def estimate_for(city: City, hub: Hub) -> int:
    return estimate_latency_ms(city.lat, city.lon, hub.lat, hub.lon)


def estimate_ms(session: Session, *, city_id: str, hub_id: str) -> int:
    """The distance estimate between a known city and hub (what an override replaces)."""
    return estimate_for(*_known_pair(session, city_id, hub_id))


def _override_snapshot(row: LatencyOverride | None) -> dict[str, Any] | None:
    return None if row is None else {"latency_ms": row.latency_ms, "note": row.note}


def set_latency(
    session: Session, *, city_id: str, hub_id: str, latency_ms: int, note: str | None = None
) -> LatencyOverride:
    """Record a measured latency between a city and a hub; it wins over the estimate."""
    _known_pair(session, city_id, hub_id)
    if isinstance(latency_ms, bool) or not isinstance(latency_ms, int) or latency_ms < 1:
        raise ValidationFailed("must be a whole number of ms >= 1", field="latency_ms")
    row = repository.override(session, city_id, hub_id)
    before = _override_snapshot(row)
    if row is None:
        row = LatencyOverride(city_id=city_id, hub_id=hub_id, latency_ms=latency_ms, note=note)
        repository.add(session, row)
    else:
        row.latency_ms, row.note, row.set_at = latency_ms, note, utcnow()
        session.flush()
    audit.record(session, action="latency.set", object_type="latency",
                 object_id=f"{city_id}/{hub_id}", before=before, after=_override_snapshot(row))
    return row


def clear_latency(session: Session, *, city_id: str, hub_id: str) -> None:
    """Remove a measured latency, so the estimate applies again; 404 when none is set."""
    _known_pair(session, city_id, hub_id)
    row = repository.override(session, city_id, hub_id)
    if row is None:
        raise NotFound(f"no measured latency between {city_id} and {hub_id}", field="hub")
    before = _override_snapshot(row)
    repository.delete(session, row)
    audit.record(session, action="latency.clear", object_type="latency",
                 object_id=f"{city_id}/{hub_id}", before=before, after=None)


def overrides_with_estimates(session: Session) -> list[tuple[LatencyOverride, int]]:
    """Every measured latency with the estimate it replaces."""
    out = []
    for row in repository.overrides(session):
        city, hub = _known_pair(session, row.city_id, row.hub_id)
        out.append((row, estimate_for(city, hub)))
    return out
