"""All SQL of the catalogue: accelerators, hubs, cities and latency overrides."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.catalog.models import Accelerator, City, Hub, LatencyOverride, ReportedName

MAX_ID = 64


def _usable(key: str) -> bool:
    # Ids are short and printable; anything else (a NUL byte, which PostgreSQL refuses in
    # text, or a 10 kB string) names no row, so it is not sent to the database at all.
    return 0 < len(key) <= MAX_ID and key.isprintable()


def accelerator(session: Session, model: str) -> Accelerator | None:
    return session.get(Accelerator, model) if _usable(model) else None


def accelerators(session: Session, models: Collection[str] | None = None
                 ) -> list[Accelerator]:
    """Every model (or those of `models`), by vendor then model id."""
    stmt = select(Accelerator).order_by(Accelerator.vendor, Accelerator.model)
    if models is not None:
        stmt = stmt.where(Accelerator.model.in_(list(models)))
    return list(session.execute(stmt).scalars())


def reported_name(session: Session, key: str) -> ReportedName | None:
    return session.get(ReportedName, key) if 0 < len(key) <= 128 else None


def reported_name_table(session: Session) -> dict[str, str]:
    """Every listed name's key and the model it denotes."""
    stmt = select(ReportedName.key, ReportedName.model)
    return {key: model for key, model in session.execute(stmt)}


def hub(session: Session, hub_id: str) -> Hub | None:
    return session.get(Hub, hub_id) if _usable(hub_id) else None


def hubs(session: Session) -> list[Hub]:
    """The clusters, west side first (where training goes), then by id."""
    stmt = select(Hub).order_by(Hub.side.desc(), Hub.id)
    return list(session.execute(stmt).scalars())


def city(session: Session, city_id: str) -> City | None:
    return session.get(City, city_id) if _usable(city_id) else None


def cities(session: Session) -> list[City]:
    return list(session.execute(select(City).order_by(City.id)).scalars())


def override(session: Session, city_id: str, hub_id: str) -> LatencyOverride | None:
    if not (_usable(city_id) and _usable(hub_id)):
        return None
    return session.get(LatencyOverride, (city_id, hub_id))


def overrides(session: Session) -> list[LatencyOverride]:
    stmt = select(LatencyOverride).order_by(LatencyOverride.city_id, LatencyOverride.hub_id)
    return list(session.execute(stmt).scalars())


def add(session: Session,
        row: Accelerator | Hub | City | LatencyOverride | ReportedName) -> None:
    session.add(row)
    session.flush()


def delete(session: Session, row: LatencyOverride | ReportedName) -> None:
    session.delete(row)
    session.flush()
