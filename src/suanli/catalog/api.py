"""JSON routes of the catalogue: accelerators, hubs, cities and the latency matrix."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from suanli.auth.principal import Principal
from suanli.catalog import permissions as perms
from suanli.catalog import repository, service
from suanli.catalog.schemas import (
    AcceleratorCreate,
    AcceleratorRead,
    AcceleratorUpdate,
    CityRead,
    HubRead,
    LatencyIn,
    LatencyOverrideRead,
    LatencyRead,
)
from suanli.deps import DbSession, Guard, Idempotent

router = APIRouter(tags=["catalog"])
Reader = Annotated[Principal, Guard(perms.CATALOG_READ)]
Admin = Annotated[Principal, Guard(perms.CATALOG_MANAGE)]


@router.get("/catalog/accelerators", response_model=list[AcceleratorRead],
            summary="Every accelerator model with its figures and ECCN")
def list_accelerators(session: DbSession, principal: Reader) -> list[AcceleratorRead]:
    return [AcceleratorRead.model_validate(a) for a in repository.accelerators(session)]


@router.get("/catalog/accelerators/{model}", response_model=AcceleratorRead,
            summary="One accelerator model")
def get_accelerator(model: str, session: DbSession, principal: Reader) -> AcceleratorRead:
    return AcceleratorRead.model_validate(service.get_accelerator(session, model))


@router.post("/catalog/accelerators", response_model=AcceleratorRead, status_code=201,
             summary="Add a model (classified on the way in; audited)")
def create_accelerator(body: AcceleratorCreate, session: DbSession, principal: Admin,
                       _key: Idempotent) -> AcceleratorRead:
    values = body.model_dump(exclude={"model"})
    return AcceleratorRead.model_validate(
        service.add_accelerator(session, model=body.model, values=values))


@router.patch("/catalog/accelerators/{model}", response_model=AcceleratorRead,
              summary="Correct a model's facts (reclassified; audited before/after)")
def correct_accelerator(model: str, body: AcceleratorUpdate, session: DbSession,
                        principal: Admin, _key: Idempotent) -> AcceleratorRead:
    changes = body.model_dump(exclude_unset=True)
    return AcceleratorRead.model_validate(
        service.correct_accelerator(session, model=model, changes=changes))


@router.get("/catalog/hubs", response_model=list[HubRead],
            summary="The ten East Data West Computing clusters")
def list_hubs(session: DbSession, principal: Reader) -> list[HubRead]:
    return [HubRead.model_validate(h) for h in repository.hubs(session)]


@router.get("/catalog/cities", response_model=list[CityRead], summary="Cities")
def list_cities(session: DbSession, principal: Reader) -> list[CityRead]:
    return [CityRead.model_validate(c) for c in repository.cities(session)]


def _override_read(session: DbSession) -> list[LatencyOverrideRead]:
    return [
        LatencyOverrideRead(city_id=row.city_id, hub_id=row.hub_id, latency_ms=row.latency_ms,
                            estimate_ms=estimate, note=row.note, set_at=row.set_at)
        for row, estimate in service.overrides_with_estimates(session)
    ]


@router.get("/catalog/latency", response_model=LatencyRead,
            summary="Round-trip ms from each city to each hub and city location")
def get_latency(session: DbSession, principal: Reader) -> LatencyRead:
    return LatencyRead(latency_ms=service.latency_table(session),
                       overrides=_override_read(session))


@router.put("/catalog/latency/{city}/{hub}", response_model=LatencyOverrideRead,
            summary="Set a measured latency between a city and a hub (audited)")
def put_latency(city: str, hub: str, body: LatencyIn, session: DbSession, principal: Admin,
                _key: Idempotent) -> LatencyOverrideRead:
    row = service.set_latency(session, city_id=city, hub_id=hub, latency_ms=body.latency_ms,
                              note=body.note)
    estimate = service.estimate_ms(session, city_id=city, hub_id=hub)
    return LatencyOverrideRead(city_id=city, hub_id=hub, latency_ms=row.latency_ms,
                               estimate_ms=estimate, note=row.note, set_at=row.set_at)


@router.delete("/catalog/latency/{city}/{hub}", status_code=204,
               summary="Remove a measured latency: the estimate applies again (audited)")
def delete_latency(city: str, hub: str, session: DbSession, principal: Admin,
                   _key: Idempotent) -> Response:
    service.clear_latency(session, city_id=city, hub_id=hub)
    return Response(status_code=204)
