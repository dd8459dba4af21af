"""Pages of the catalogue: the accelerator list, administrators' forms, hubs and latency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from pydantic import ValidationError

from suanli.auth.principal import Principal
from suanli.catalog import permissions as perms
from suanli.catalog import reasons as _reasons  # noqa: F401 - registers the reasons
from suanli.catalog import repository, service
from suanli.catalog.forms import FormFields, app_error, checked, field_errors, optional
from suanli.catalog.models import Accelerator
from suanli.catalog.network import load_cities, load_hubs
from suanli.catalog.schemas import AcceleratorCreate, AcceleratorUpdate, LatencyIn
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.web.i18n import translate
from suanli.web.render import env, render

router = APIRouter(include_in_schema=False)


def format_figure(value: object) -> str:
    """A catalogue figure as people write it: 989.5, 1979, 0.62 (no trailing zeros)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


env.filters["figure"] = format_figure


@pass_context
def city_name(context: Any, city: str | None) -> str:
    """A packaged city's name in the page's language (an unknown id as it is)."""
    found = next((c for c in load_cities() if c.id == city), None)
    if found is None:
        return city or ""
    return found.name_zh if context.get("lang") == "zh" else found.name


env.globals["city_name"] = city_name


@pass_context
def hub_name(context: Any, hub: str | None) -> str:
    """A packaged hub's cluster name in the page's language (an unknown id as it is)."""
    found = next((h for h in load_hubs() if h.id == hub), None)
    if found is None:
        return hub or ""
    key = f"catalog.hub_name.{found.id}"
    return translate("zh", key) if context.get("lang") == "zh" else found.name


@pass_context
def place_name(context: Any, key: str | None) -> str:
    """Where a data centre is, by name: a hub id or ``city:<id>`` (see `city_location`)."""
    if key and key.startswith("city:"):
        return str(city_name(context, key.removeprefix("city:")))
    return str(hub_name(context, key))


env.globals["hub_name"] = hub_name
env.globals["place_name"] = place_name
Reader = Annotated[Principal, Guard(perms.CATALOG_READ)]
Admin = Annotated[Principal, Guard(perms.CATALOG_MANAGE)]

TEXT_FIELDS = ("vendor", "name", "source")
FIGURE_FIELDS = ("bf16_tflops_dense", "int8_tops_dense", "memory_gb", "memory_bw_gbs",
                 "interconnect_gbs", "tdp_w", "die_mm2")


@router.get("/catalog/accelerators", response_class=HTMLResponse)
def accelerators_page(request: Request, session: DbSession, principal: Reader) -> Response:
    return render(request, "catalog/accelerators.html",
                  accelerators=repository.accelerators(session),
                  can_manage=principal.can(perms.CATALOG_MANAGE))


def _form_values(fields: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {name: (fields.get(name) or "").strip() for name in TEXT_FIELDS}
    values |= optional(fields, FIGURE_FIELDS)
    values["domestic"] = checked(fields, "domestic")
    values["datacenter"] = checked(fields, "datacenter")
    values["reported_names"] = [line for line in (fields.get("reported_names") or "")
                                .splitlines() if line.strip()]
    return values


def _form(request: Request, *, values: dict[str, Any], errors: dict[str, str],
          model: str | None, status: int = 200) -> Response:
    return render(request, "catalog/accelerator_form.html", status, values=values,
                  errors=errors, model=model, figures=FIGURE_FIELDS)


def _row_values(row: Accelerator) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in (*TEXT_FIELDS, "domestic", "datacenter",
                                                     "reported_names")}
    for name in FIGURE_FIELDS:
        value = getattr(row, name)
        values[name] = "" if value is None else service.plain_figure(value)
    return values


@router.get("/catalog/accelerators/new", response_class=HTMLResponse)
def new_accelerator_page(request: Request, principal: Admin) -> Response:
    return _form(request, values={"datacenter": True}, errors={}, model=None)


@router.post("/catalog/accelerators/new", response_class=HTMLResponse)
def new_accelerator_submit(request: Request, session: DbSession, principal: Admin,
                           fields: FormFields) -> Response:
    values = _form_values(fields) | {"model": (fields.get("model") or "").strip()}
    try:
        data = AcceleratorCreate.model_validate(values)
        service.add_accelerator(session, model=data.model,
                                values=data.model_dump(exclude={"model"}))
    except ValidationError as exc:
        return _form(request, values=values, errors=field_errors(exc), model=None, status=422)
    except AppError as exc:
        return _form(request, values=values, errors=app_error(exc), model=None,
                     status=exc.status)
    return RedirectResponse(f"/catalog/accelerators#m-{data.model}", status_code=303)


@router.get("/catalog/accelerators/{model}/edit", response_class=HTMLResponse)
def edit_accelerator_page(model: str, request: Request, session: DbSession,
                          principal: Admin) -> Response:
    row = service.get_accelerator(session, model)
    return _form(request, values=_row_values(row), errors={}, model=model)


@router.post("/catalog/accelerators/{model}/edit", response_class=HTMLResponse)
def edit_accelerator_submit(model: str, request: Request, session: DbSession,
                            principal: Admin, fields: FormFields) -> Response:
    service.get_accelerator(session, model)
    values = _form_values(fields)
    try:
        data = AcceleratorUpdate.model_validate(values)
        service.correct_accelerator(session, model=model, changes=data.model_dump())
    except ValidationError as exc:
        return _form(request, values=values, errors=field_errors(exc), model=model, status=422)
    except AppError as exc:
        return _form(request, values=values, errors=app_error(exc), model=model,
                     status=exc.status)
    return RedirectResponse(f"/catalog/accelerators#m-{model}", status_code=303)


def _hubs(request: Request, session: DbSession, principal: Principal, *,
          errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    cities, hubs = repository.cities(session), repository.hubs(session)
    measured = {(o.city_id, o.hub_id): o for o in repository.overrides(session)}
    return render(request, "catalog/hubs.html", status, hubs=hubs, cities=cities,
                  table=service.latency_table(session), measured=measured,
                  can_manage=principal.can(perms.CATALOG_MANAGE), errors=errors or {},
                  values=values or {})


@router.get("/catalog/hubs", response_class=HTMLResponse)
def hubs_page(request: Request, session: DbSession, principal: Reader) -> Response:
    return _hubs(request, session, principal)


@router.post("/catalog/latency", response_class=HTMLResponse)
def latency_submit(request: Request, session: DbSession, principal: Admin,
                   fields: FormFields) -> Response:
    values: dict[str, Any] = {"city": fields.get("city", ""), "hub": fields.get("hub", ""),
                              "latency_ms": fields.get("latency_ms", ""),
                              "note": fields.get("note", "")}
    try:
        data = LatencyIn.model_validate({"latency_ms": values["latency_ms"],
                                         "note": values["note"].strip() or None})
        service.set_latency(session, city_id=values["city"], hub_id=values["hub"],
                            latency_ms=data.latency_ms, note=data.note)
    except ValidationError as exc:
        return _hubs(request, session, principal, errors=field_errors(exc), values=values,
                     status=422)
    except AppError as exc:
        return _hubs(request, session, principal, errors=app_error(exc), values=values,
                     status=exc.status)
    return RedirectResponse("/catalog/hubs#latency", status_code=303)
