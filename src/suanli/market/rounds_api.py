"""JSON routes for clearing rounds, buyer cash, and the public market data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from suanli.auth import repository as auth_repo
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.money import format_cny, parse_cny
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.market import funds, marketdata, repository, rounds, views
from suanli.market import permissions as perms
from suanli.market.schemas import (
    CashRead,
    DepositCreate,
    DepositRead,
    Depth,
    DepthRow,
    Id,
    IndexPoint,
    PriceIndex,
    Rerun,
    RoundCreate,
    RoundRead,
    check_ident,
)

router = APIRouter(tags=["market: rounds and data"])
Pages = Annotated[PageParams, Depends(page_params)]
Reader = Annotated[Principal, Guard(perms.ROUNDS_READ)]


@router.post("/market/rounds", response_model=RoundRead, status_code=status.HTTP_201_CREATED,
             summary="Run a clearing round now (409 while another one runs)")
def run_round(body: RoundCreate, session: DbSession,
              principal: Annotated[Principal, Guard(perms.ROUNDS_RUN)],
              _key: Idempotent) -> RoundRead:
    rnd = rounds.run_round(session, options=rounds.Options(
        start=body.start_at, slots=body.slots, time_limit_s=body.time_limit_s, trigger="api",
        user_id=principal.user_id))
    if rnd is None:
        raise Conflict("another clearing round is running; try again when it ends",
                       field="round")
    return views.round_(rnd)


@router.get("/market/rounds", response_model=Page[RoundRead], summary="Clearing rounds")
def list_rounds(session: DbSession, principal: Reader, page: Pages) -> Page[RoundRead]:
    rows, total = repository.rounds(session, limit=page.limit, offset=page.offset)
    return Page(items=[views.round_(r) for r in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/market/rounds/{round_id}", response_model=RoundRead, summary="One round")
def get_round(round_id: Id, session: DbSession, principal: Reader) -> RoundRead:
    return views.round_(rounds.get_round(session, round_id))


def _document(doc: dict[str, Any] | None, name: str, round_id: int) -> JSONResponse:
    if doc is None:
        raise NotFound(f"round {round_id} has no stored {name}", field="round_id")
    return JSONResponse(doc, headers={
        "Content-Disposition": f'attachment; filename="round-{round_id}-{name}.json"'})


@router.get("/market/rounds/{round_id}/snapshot", summary="The round's snapshot (download)",
            response_class=JSONResponse)
def round_snapshot(round_id: Id, session: DbSession, principal: Reader) -> JSONResponse:
    return _document(rounds.get_round(session, round_id).snapshot, "snapshot", round_id)


@router.get("/market/rounds/{round_id}/result", summary="The round's result (download)",
            response_class=JSONResponse)
def round_result(round_id: Id, session: DbSession, principal: Reader) -> JSONResponse:
    return _document(rounds.get_round(session, round_id).result, "result", round_id)


@router.get("/market/rounds/{round_id}/rerun", response_model=Rerun,
            summary="Clear the stored snapshot again and compare with the stored result")
def rerun_round(round_id: Id, session: DbSession, principal: Reader) -> Rerun:
    differences = rounds.rerun(session, round_id)
    return Rerun(round_id=round_id, same=not differences, differences=differences)


def cash_read(session: DbSession, slug: str) -> CashRead:
    bal = funds.cash_balance(session, slug)
    return CashRead(organisation=slug, available_cny=format_cny(bal.available),
                    held_cny=format_cny(bal.held), posted_cny=format_cny(bal.posted))


@router.post("/market/deposits", response_model=DepositRead,
             status_code=status.HTTP_201_CREATED,
             summary="Record a startup's bank deposit into its cash account")
def record_deposit(body: DepositCreate, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.DEPOSITS_RECORD)],
                   _key: Idempotent) -> DepositRead:
    deposit = funds.record_deposit(session, organisation=body.organisation,
                                   amount_fen=parse_cny(body.amount), reference=body.reference)
    cash = cash_read(session, deposit.organisation)
    return DepositRead(**cash.model_dump(), transfer_id=deposit.transfer_id,
                       amount_cny=format_cny(deposit.amount_fen), replayed=deposit.replayed)


@router.get("/market/cash", response_model=list[CashRead],
            summary="Buyer cash: your startups' (or, for oversight, the one named)")
def cash(session: DbSession, principal: Annotated[Principal, Guard(perms.CASH_READ)],
         organisation: str | None = None) -> list[CashRead]:
    own = {g.organisation_slug for g in principal.grants
           if g.organisation_id in principal.org_ids_with(perms.ORDERS_PLACE)}
    if principal.can(perms.ROUNDS_READ):
        if organisation is None:
            raise ValidationFailed("name the startup", field="organisation")
        if auth_repo.org_by_slug(session, check_ident(organisation,
                                                      field="organisation")) is None:
            raise NotFound(f"no organisation {organisation!r}", field="organisation")
        return [cash_read(session, organisation)]
    if organisation is not None and organisation not in own:
        raise NotFound(f"no organisation {organisation!r} of yours", field="organisation")
    return [cash_read(session, s) for s in sorted([organisation] if organisation else own)]


@router.get("/market/index", response_model=PriceIndex,
            summary="Daily price index per accelerator (public)")
def price_index(session: DbSession,
                days: Annotated[int, Query(ge=1, le=365)] = 30) -> PriceIndex:
    index = marketdata.price_index(session, days=days)
    return PriceIndex(days=days, points=[
        IndexPoint(accelerator=p.model, day=p.day, price_cny_per_gpu_hour=format_cny(p.price_fen),
                   gpu_hours=p.gpu_hours, contracts=p.contracts) for p in index.points],
        shadow_prices=index.shadow, shadow_round_id=index.shadow_round_id)


@router.get("/market/depth", response_model=Depth,
            summary="Order-book depth per accelerator and day (public)")
def depth(session: DbSession, days: Annotated[int, Query(ge=1, le=31)] = 7) -> Depth:
    rows = marketdata.depth(session, days=days)
    return Depth(days=days, rows=[DepthRow(accelerator=r.model, day=r.day,
                                           demand_gpus=r.demand_gpus,
                                           supply_gpus=r.supply_gpus) for r in rows])
