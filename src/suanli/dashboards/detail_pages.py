"""Order and contract pages: terms, holds, delivery per day, invoices and claims."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from suanli.auth.principal import Principal
from suanli.dashboards import detail, parties_repository
from suanli.deps import DbSession, Guard
from suanli.kit.timeutil import SHANGHAI, as_utc, to_shanghai
from suanli.market import permissions as market_perms
from suanli.market import views
from suanli.market.models import Contract
from suanli.market.schemas import Id
from suanli.vouchers import permissions as voucher_perms
from suanli.web import charts
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)


def contracted_per_day(contract: Contract) -> dict[date, Decimal]:
    """GPU-hours the contract books on each Asia/Shanghai day of its window."""
    start, end = as_utc(contract.start_at), as_utc(contract.end_at)
    out: dict[date, Decimal] = {}
    day = to_shanghai(start).date()
    while datetime.combine(day, datetime.min.time(), SHANGHAI) < end:
        lo = max(start, datetime.combine(day, datetime.min.time(), SHANGHAI))
        hi = min(end, datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI))
        out[day] = Decimal(contract.gpus) * Decimal((hi - lo).total_seconds()) / 3600
        day += timedelta(days=1)
    return out


def _delivery_chart(request: Request, view: detail.ContractDetail) -> Markup:
    lang = language(request)
    booked = contracted_per_day(view.contract)
    days = sorted(set(booked) | set(view.delivered))
    svg = charts.paired_bar_chart(
        [(d.isoformat()[5:], float(view.delivered.get(d, 0)), float(booked.get(d, 0)))
         for d in days], title=translate(lang, "detail.chart.delivery"),
        unit=translate(lang, "detail.gpu_hours_unit"),
        legend=(translate(lang, "detail.delivered"), translate(lang, "detail.contracted")),
        test_id="delivery-chart")
    return Markup(svg)  # noqa: S704 - the chart module escapes every label it draws


@router.get("/market/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(contract_id: Id, request: Request, session: DbSession,
                  principal: Annotated[Principal, Guard(market_perms.CONTRACTS_READ)]
                  ) -> Response:
    view = detail.contract_detail(session, principal, contract_id)
    booked = contracted_per_day(view.contract)
    return render(request, "dashboards/contract.html", view=view,
                  terms=views.contract(view.contract), booked=booked,
                  order_link=principal.can(market_perms.ORDERS_READ)
                  and view.contract.buyer_org_id in (views.buyer_scope(principal)
                                                     or {view.contract.buyer_org_id}),
                  voucher_link=principal.can(voucher_perms.VOUCHERS_READ),
                  chart=_delivery_chart(request, view))


@router.get("/market/orders/{order_id}", response_class=HTMLResponse)
def order_page(order_id: Id, request: Request, session: DbSession,
               principal: Annotated[Principal, Guard(market_perms.ORDERS_READ)]) -> Response:
    order = detail.order_for(session, principal, order_id)
    return render(request, "dashboards/order.html", order=views.order(order),
                  contracts=parties_repository.contracts_of_order(session, order.id),
                  can_cancel=order.status == "open"
                  and order.organisation_id in principal.org_ids_with(
                      market_perms.ORDERS_PLACE))
