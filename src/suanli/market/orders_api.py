"""JSON routes for orders, their preview, instant buys and contracts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.market import contracts, instant, orders_service, placement, repository, views
from suanli.market import permissions as perms
from suanli.market.models import OrderStatus
from suanli.market.schemas import (
    ContractRead,
    Id,
    InstantBuy,
    OrderCreate,
    OrderRead,
    PlacementSet,
    Preview,
)

router = APIRouter(tags=["market: orders and contracts"])
Pages = Annotated[PageParams, Depends(page_params)]
Buyer = Annotated[Principal, Guard(perms.ORDERS_PLACE)]


def _buys_for(principal: Principal) -> frozenset[int]:
    return principal.org_ids_with(perms.ORDERS_PLACE)


@router.post("/market/orders/preview", response_model=Preview,
             summary="Which offers could serve this order, at what price, or why none can")
def preview_order(body: OrderCreate, session: DbSession, principal: Buyer) -> Preview:
    result = orders_service.preview(session, data=body, org_ids=_buys_for(principal))
    return views.preview(result, body.gpus, body.duration_hours)


@router.post("/market/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED,
             summary="Place an order; it rests until a clearing round or a cancellation")
def place_order(body: OrderCreate, session: DbSession, principal: Buyer,
                _key: Idempotent) -> OrderRead:
    order = orders_service.place_order(session, data=body, org_ids=_buys_for(principal),
                                       user_id=principal.user_id)
    return views.order(order)


@router.get("/market/orders", response_model=Page[OrderRead], summary="Orders you may see")
def list_orders(session: DbSession,
                principal: Annotated[Principal, Guard(perms.ORDERS_READ)], page: Pages,
                status: OrderStatus | None = None) -> Page[OrderRead]:
    rows, total = repository.orders_of(session, views.buyer_scope(principal),
                                       status=str(status) if status else None,
                                       limit=page.limit, offset=page.offset)
    return Page(items=[views.order(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/market/orders/{order_id}", response_model=OrderRead, summary="One order")
def get_order(order_id: Id, session: DbSession,
              principal: Annotated[Principal, Guard(perms.ORDERS_READ)]) -> OrderRead:
    return views.order(orders_service.get_order(session, order_id, views.buyer_scope(principal)))


@router.post("/market/orders/{order_id}/cancel", response_model=OrderRead,
             summary="Cancel one of your open orders")
def cancel_order(order_id: Id, session: DbSession, principal: Buyer,
                 _key: Idempotent) -> OrderRead:
    return views.order(orders_service.cancel_order(session, order_id=order_id,
                                                   org_ids=_buys_for(principal)))


@router.post("/market/instant-buys", response_model=ContractRead,
             status_code=status.HTTP_201_CREATED,
             summary="Take an offer now at its ask, when its GPUs are free")
def instant_buy(body: InstantBuy, session: DbSession, principal: Buyer,
                _key: Idempotent) -> ContractRead:
    return views.contract(instant.instant_buy(session, data=body,
                                              org_ids=_buys_for(principal)))


@router.get("/market/contracts", response_model=Page[ContractRead],
            summary="Your contracts, as buyer or as provider")
def list_contracts(session: DbSession,
                   principal: Annotated[Principal, Guard(perms.CONTRACTS_READ)],
                   page: Pages) -> Page[ContractRead]:
    buyers, providers = views.contract_scope(principal)
    rows, total = repository.contracts_for(session, buyer_ids=buyers, provider_ids=providers,
                                           limit=page.limit, offset=page.offset)
    return Page(items=[views.contract(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/market/contracts/{contract_id}", response_model=ContractRead,
            summary="One contract")
def get_contract(contract_id: Id, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.CONTRACTS_READ)]
                 ) -> ContractRead:
    buyers, providers = views.contract_scope(principal)
    return views.contract(contracts.get_contract(session, contract_id, buyer_ids=buyers,
                                                 provider_ids=providers))


@router.post("/market/contracts/{contract_id}/cancel", response_model=ContractRead,
             summary="Cancel a contract (before its start: free; after: per the offer)")
def cancel_contract(contract_id: Id, session: DbSession,
                    principal: Annotated[Principal, Guard(perms.CONTRACTS_CANCEL)],
                    _key: Idempotent) -> ContractRead:
    scope = None if principal.can(perms.ROUNDS_RUN) else _buys_for(principal)
    return views.contract(contracts.cancel_contract(session, contract_id=contract_id,
                                                    buyer_ids=scope))


@router.put("/market/contracts/{contract_id}/placement", response_model=ContractRead,
            summary="Place your contract on GPUs of its cluster (which hardware serves it)",
            description="From `from` (default now, or the start if later) to the contract's "
                        "end, these attested GPUs serve the contract; the placement before "
                        "`from` stays. A GPU placed on an overlapping contract is a 409. "
                        "Usage of GPUs not placed on a contract is not billed to it.")
def set_placement(contract_id: Id, body: PlacementSet, session: DbSession,
                  principal: Annotated[Principal, Guard(perms.CONTRACTS_PLACE)],
                  _key: Idempotent) -> ContractRead:
    return views.contract(placement.set_placement(
        session, contract_id=contract_id, org_ids=principal.org_ids_with(perms.CONTRACTS_PLACE),
        gpu_uuids=body.gpu_uuids, effective_from=body.effective_from,
        placed_by=principal.username))
