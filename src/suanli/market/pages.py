"""Market pages for everyone and for buyers: the public market, offer search, an offer with
instant buy, orders with the preview, and the order form."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError

from suanli.auth.principal import Principal
from suanli.catalog import repository as catalog_repo
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError, ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.timeutil import utcnow
from suanli.market import (
    funds,
    instant,
    marketdata,
    offers_service,
    orders_service,
    repository,
    search,
    views,
    vouchers_port,
)
from suanli.market import permissions as perms
from suanli.market import reasons as _reasons  # noqa: F401 - registers the market's reasons
from suanli.market.forms import blanks_to_none, default_window, errors_of, from_local
from suanli.market.models import OrderStatus
from suanli.market.offers_api import money_query
from suanli.market.schemas import Id, InstantBuy, OrderCreate
from suanli.web import charts, names
from suanli.web.confirm import Confirmed
from suanli.web.i18n import translate
from suanli.web.listing import Listing, Pager, known
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Buyer = Annotated[Principal, Guard(perms.ORDERS_PLACE)]
INDEX_DAYS, DEPTH_DAYS = 30, 7
ORDER_FIELDS = ("organisation", "min_memory_gb", "min_tflops", "gpus", "duration_hours",
                "limit_cny_per_gpu_hour", "voucher_id", "origin_city", "max_latency_ms")


def _index_chart(request: Request, index: marketdata.Index) -> str:
    return charts.price_index_chart(((p.model, p.day, p.price_fen) for p in index.points),
                                    title=_t(request, "market.index.title"),
                                    test_id="index-chart")


def _depth_chart(request: Request, rows: list[marketdata.DepthRow]) -> str:
    days: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        days[r.day.isoformat()[5:]][0] += r.demand_gpus
        days[r.day.isoformat()[5:]][1] += r.supply_gpus
    return charts.paired_bar_chart([(d, v[0], v[1]) for d, v in sorted(days.items())],
                                   title=_t(request, "market.depth.title"), unit="GPUs",
                                   legend=(_t(request, "market.depth.demand"),
                                           _t(request, "market.depth.supply")),
                                   test_id="depth-chart")


def _t(request: Request, key: str) -> str:
    return translate(language(request), key)


@router.get("/market", response_class=HTMLResponse)
def market_page(request: Request, session: DbSession) -> Response:
    """The public market: price index and order-book depth, with charts."""
    index = marketdata.price_index(session, days=INDEX_DAYS)
    rows = marketdata.depth(session, days=DEPTH_DAYS)
    return render(request, "market/index.html", index=index, depth=rows,
                  index_chart=Markup(_index_chart(request, index)),  # noqa: S704 - escaped SVG
                  depth_chart=Markup(_depth_chart(request, rows)),  # noqa: S704 - escaped SVG
                  cny=format_cny)


def _search_values(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


def _query(values: dict[str, str]) -> search.Query:
    """A search from the page's query string; a bad value names its field."""
    def text(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    operator = text("operator")
    if operator not in (None, "state", "commercial"):
        raise ValidationFailed("must be state or commercial", field="operator")
    return search.Query(
        accelerator=text("accelerator"), min_memory_gb=_int(values, "min_memory_gb"),
        hub=text("hub"), city=text("city"), origin_city=text("origin_city"),
        max_latency_ms=_int(values, "max_latency_ms"), operator=operator,
        max_price_fen=money_query(text("max_price"), "max_price"),
        voucher_id=_int(values, "voucher_id"))


@router.get("/market/offers", response_class=HTMLResponse)
def offers_page(request: Request, session: DbSession,
                principal: Annotated[Principal, Guard(perms.OFFERS_READ)]) -> Response:
    values = _search_values(request)
    buyer_orgs = principal.org_ids_with(perms.ORDERS_PLACE)
    hits: list[Any] = []
    errors: dict[str, str] = {}
    try:
        hits = [views.hit(h) for h in search.search(session, _query(values),
                                                       buyer_org_ids=buyer_orgs, now=_now())]
    except AppError as exc:
        errors = errors_of(exc)
    return render(request, "market/offers.html", 422 if errors else 200, hits=hits,
                  values=values, errors=errors, **_choices(session, request, buyer_orgs))


def _int(values: dict[str, str], name: str) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValidationFailed(f"{text!r} is not a whole number", field=name)
    return int(text)


def _now() -> datetime:
    return utcnow()


def _choices(session: DbSession, request: Request, buyer_orgs: frozenset[int]
             ) -> dict[str, Any]:
    zh = language(request) == "zh"
    return {
        "models": [(a.model, f"{a.vendor} {a.name}") for a in catalog_repo.accelerators(session)],
        "hubs": [(h.id, h.name) for h in catalog_repo.hubs(session)],
        "cities": [(c.id, c.name_zh if zh else c.name) for c in catalog_repo.cities(session)],
        "vouchers": [(v.id, vouchers_port.label(session, v, lang=language(request))) for v in
                     vouchers_port.usable_vouchers(session, buyer_orgs, _now())],
    }


@router.get("/market/offers/{offer_id}", response_class=HTMLResponse)
def offer_page(offer_id: Id, request: Request, session: DbSession,
               principal: Annotated[Principal, Guard(perms.OFFERS_READ)]) -> Response:
    return _offer(request, session, principal, offer_id)


def _offer(request: Request, session: DbSession, principal: Principal, offer_id: Id, *,
           values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
           status: int = 200) -> Response:
    offer = offers_service.get_offer(session, offer_id, views.offer_scope(principal))
    buyer_orgs = principal.org_ids_with(perms.ORDERS_PLACE)
    return render(request, "market/offer.html", status, offer=views.offers(session, [offer])[0],
                  values=values or {"gpus": 1, "hours": offer.min_lease_hours},
                  errors=errors or {}, can_buy=bool(buyer_orgs),
                  **_choices(session, request, buyer_orgs))


@router.post("/market/offers/{offer_id}/buy", response_class=HTMLResponse)
def buy_submit(offer_id: Id, request: Request, session: DbSession, principal: Buyer,
               fields: FormFields) -> Response:
    values = blanks_to_none(fields, ("gpus", "hours", "voucher_id", "organisation"))
    values["start_at"] = from_local(fields.get("start_at"))
    try:
        data = InstantBuy.model_validate({**values, "offer_id": offer_id})
        contract = instant.instant_buy(session, data=data,
                                       org_ids=principal.org_ids_with(perms.ORDERS_PLACE))
    except (ValidationError, AppError) as exc:
        code = exc.status if isinstance(exc, AppError) else 422
        return _offer(request, session, principal, offer_id, values=values,
                      errors=errors_of(exc), status=code)
    return RedirectResponse(f"/market/contracts#c-{contract.id}", status_code=303)


@router.get("/market/orders", response_class=HTMLResponse)
def orders_page(request: Request, session: DbSession,
                principal: Annotated[Principal, Guard(perms.ORDERS_READ)],
                query: Listing) -> Response:
    rows, total = repository.orders_of(session, views.buyer_scope(principal),
                                       status=known(query.status, OrderStatus),
                                       limit=query.size, offset=query.offset)
    own = sorted(g.organisation_slug for g in principal.grants
                 if g.organisation_id in principal.org_ids_with(perms.ORDERS_PLACE))
    cash = [(slug, funds.cash_balance(session, slug)) for slug in own]
    return render(request, "market/orders.html", orders=[views.order(r) for r in rows],
                  total=total, cash=cash, cny=format_cny,
                  pager=Pager(query, total, "/market/orders"), statuses=list(OrderStatus),
                  can_order=principal.can(perms.ORDERS_PLACE))


@router.post("/market/orders/{order_id}/cancel")
def order_cancel(order_id: Id, session: DbSession, principal: Buyer,
                 _confirmed: Confirmed) -> Response:
    orders_service.cancel_order(session, order_id=order_id,
                                org_ids=principal.org_ids_with(perms.ORDERS_PLACE))
    return RedirectResponse(f"/market/orders#o-{order_id}", status_code=303)


def _order_form(request: Request, session: DbSession, principal: Principal, *,
                values: dict[str, Any], errors: dict[str, str] | None = None,
                preview: Any = None, status: int = 200) -> Response:
    buyer_orgs = principal.org_ids_with(perms.ORDERS_PLACE)
    orgs = names.choices(session, language(request), [
        g.organisation_slug for g in principal.grants if g.organisation_id in buyer_orgs])
    return render(request, "market/order_form.html", status, values=values,
                  errors=errors or {}, preview=preview, orgs=orgs,
                  **_choices(session, request, buyer_orgs))


@router.get("/market/orders/new", response_class=HTMLResponse)
def order_new(request: Request, session: DbSession, principal: Buyer) -> Response:
    start, end = default_window()
    values = {"accelerators": "h20", "gpus": "8", "duration_hours": "24",
              "earliest_start": start, "latest_end": end, "limit_cny_per_gpu_hour": "10.00",
              "voucher_choice": "soonest"}
    return _order_form(request, session, principal, values=values)


def _order_data(fields: dict[str, str]) -> dict[str, Any]:
    data = blanks_to_none(fields, ORDER_FIELDS)
    data["accelerators"] = [m.strip() for m in (fields.get("accelerators") or "").split(",")
                            if m.strip()]
    for name in ("earliest_start", "latest_end"):
        data[name] = from_local(fields.get(name))
    data["voucher_choice"] = fields.get("voucher_choice") or "none"
    return data


@router.post("/market/orders/new", response_class=HTMLResponse)
def order_submit(request: Request, session: DbSession, principal: Buyer,
                 fields: FormFields) -> Response:
    """``action=preview`` shows which offers could serve the order; ``place`` places it."""
    values = dict(fields)
    org_ids = principal.org_ids_with(perms.ORDERS_PLACE)
    try:
        data = OrderCreate.model_validate(_order_data(fields))
        if fields.get("action") == "place":
            order = orders_service.place_order(session, data=data, org_ids=org_ids,
                                               user_id=principal.user_id)
            return RedirectResponse(f"/market/orders#o-{order.id}", status_code=303)
        result = orders_service.preview(session, data=data, org_ids=org_ids)
    except (ValidationError, AppError) as exc:
        code = exc.status if isinstance(exc, AppError) else 422
        return _order_form(request, session, principal, values=values,
                           errors=errors_of(exc), status=code)
    return _order_form(request, session, principal, values=values,
                       preview=views.preview(result, data.gpus, data.duration_hours))
