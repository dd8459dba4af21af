"""JSON routes of the ledger: balances, histories and transfers (read-only, scoped by
organisation), the verification, and correcting transfers for the platform operator."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from suanli.audit import service as audit
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.db import snapshot_of
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import MoneyError, format_cny, parse_cny
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.kit.timeutil import as_utc
from suanli.ledger import permissions as perms
from suanli.ledger import reads, service
from suanli.ledger.ids import check_correcting_id
from suanli.ledger.models import Account
from suanli.ledger.posting import AccountKind
from suanli.ledger.reads import Scope
from suanli.ledger.schemas import (
    AccountRead,
    BalanceRead,
    HistoryItem,
    TransferCreate,
    TransferRead,
    VerifyRead,
)
from suanli.ledger.verify import verify

router = APIRouter(tags=["ledger"])
Reader = Annotated[Principal, Guard(perms.LEDGER_READ_OWN)]


def scope(principal: Principal) -> Scope:
    """Everything for platform administrators and auditors, else the caller's organisations."""
    if principal.can(perms.LEDGER_READ_ALL):
        return None
    return principal.org_ids_with(perms.LEDGER_READ_OWN)


def account_read(account: Account) -> AccountRead:
    return AccountRead(
        code=account.code, kind=account.kind, name=account.name,
        owner_org_id=account.owner_org_id, currency=account.currency,
        debits_must_not_exceed_credits=account.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=account.credits_must_not_exceed_debits,
        balance=BalanceRead.of(reads.balance(account)), created_at=account.created_at)


@router.get("/ledger/accounts", response_model=Page[AccountRead],
            summary="Accounts with their balances (your organisations' only, unless you audit)")
def list_accounts(session: DbSession, principal: Reader,
                  page: Annotated[PageParams, Depends(page_params)],
                  kind: Annotated[str | None, Query(json_schema_extra={
                      "enum": sorted(AccountKind)})] = None) -> Page[AccountRead]:
    rows, total = reads.list_accounts(session, org_ids=scope(principal), limit=page.limit,
                                      offset=page.offset, kind=kind)
    return Page(items=[account_read(a) for a in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/ledger/accounts/{code}", response_model=AccountRead,
            summary="One account and its balance")
def get_account(code: str, session: DbSession, principal: Reader) -> AccountRead:
    return account_read(reads.account(session, code, org_ids=scope(principal)))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


@router.get("/ledger/accounts/{code}/transfers", response_model=Page[HistoryItem],
            summary="An account's transfers, newest first, with the balance after each")
def account_history(
    code: str, session: DbSession, principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    since: Annotated[datetime | None, Query(alias="from", description="from this time on "
                                            "(ISO 8601; UTC when no offset is given)")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="before this time")] = None,
) -> Page[HistoryItem]:
    account = reads.account(session, code, org_ids=scope(principal))
    since, until = _utc(since), _utc(until)
    if since is not None and until is not None and since >= until:
        raise ValidationFailed("must be after `from`", field="to")
    rows, total = reads.history(session, account, since=since, until=until,
                                limit=page.limit, offset=page.offset)
    items = [HistoryItem(version=version, transfer=TransferRead.of_stored(stored),
                         balance_after=BalanceRead.of(after)) for stored, version, after in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/ledger/transfers/{transfer_id:path}", response_model=TransferRead,
            summary="One transfer (if it touches an account you may see)")
def get_transfer(transfer_id: str, session: DbSession, principal: Reader) -> TransferRead:
    return TransferRead.of_stored(reads.transfer(session, transfer_id, org_ids=scope(principal)))


@router.get("/ledger/verify", response_model=VerifyRead,
            summary="Re-derive every balance from the transfers and check the invariants")
def verify_ledger(session: DbSession,
                  principal: Annotated[Principal, Guard(perms.LEDGER_READ_ALL)]) -> VerifyRead:
    with snapshot_of(session) as snapshot:  # one moment; writers carry on
        return VerifyRead.of(verify(snapshot))


@router.post("/ledger/transfers", response_model=TransferRead, status_code=201,
             summary="A correcting transfer between two accounts (platform operator)",
             responses={200: {"description": "the transfer id existed with the same fields; "
                                             "nothing moved"}})
def create_transfer(body: TransferCreate, session: DbSession, _key: Idempotent,
                    principal: Annotated[Principal, Guard(perms.LEDGER_CORRECT)]
                    ) -> JSONResponse:
    check_correcting_id(body.id)
    try:
        amount = parse_cny(body.amount)
    except MoneyError as exc:
        raise ValidationFailed(str(exc).partition(": ")[2] or str(exc), field="amount") from exc
    result = service.transfer(session, id=body.id, debit=body.debit, credit=body.credit,
                              amount=amount, reason=body.reason, ref=body.ref)
    read = TransferRead.of_result(result)
    if not result.replayed:
        audit.record(session, action="ledger.transfer.correct", object_type="ledger_transfer",
                     object_id=result.id, after={
                         "debit": result.debit, "credit": result.credit,
                         "amount": format_cny(result.amount), "reason": result.reason,
                         "ref": result.ref})
    return JSONResponse(read.model_dump(mode="json"), status_code=200 if result.replayed else 201)
