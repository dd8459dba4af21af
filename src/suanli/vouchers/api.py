"""JSON routes of vouchers: the wallet, one voucher, clawback, the expiry sweep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.money import format_cny
from suanli.vouchers import permissions as perms
from suanli.vouchers import service, tranches, views
from suanli.vouchers.models import VoucherStatus
from suanli.vouchers.schemas import ClawbackIn, ReleaseIn, SweepRead, VoucherRead

router = APIRouter(tags=["vouchers"])
Reader = Annotated[Principal, Guard(perms.VOUCHERS_READ)]


@router.get("/vouchers", response_model=list[VoucherRead],
            summary="Vouchers you may see, with balances read from the ledger")
def list_vouchers(session: DbSession, principal: Reader,
                  status: VoucherStatus | None = None) -> list[VoucherRead]:
    rows = views.visible_vouchers(session, principal, [status] if status else None)
    return views.reads(session, rows)


@router.post("/vouchers/expire-due", response_model=SweepRead,
             summary="Expire vouchers past their validity and return unspent money (safe "
                     "to repeat; also `suanli vouchers expire`)")
def expire_due(session: DbSession,
               principal: Annotated[Principal, Guard(perms.VOUCHERS_EXPIRE)],
               _key: Idempotent) -> SweepRead:
    report = service.expire_due(session)
    return SweepRead(expired=report.expired, returned_cny=format_cny(report.returned_fen),
                     residual_returned_cny=format_cny(report.residual_returned_fen))


@router.get("/vouchers/{voucher_id}", response_model=VoucherRead, summary="One voucher")
def get_voucher(voucher_id: int, session: DbSession, principal: Reader) -> VoucherRead:
    return views.reads(session, [views.visible(session, principal, voucher_id)])[0]


@router.post("/vouchers/{voucher_id}/tranches/{index}/release", response_model=VoucherRead,
             summary="Confirm a tranche's milestone: its money, held on the program's budget "
                     "since issue, moves to the voucher")
def release_tranche(voucher_id: int, index: int, body: ReleaseIn, session: DbSession,
                    principal: Annotated[Principal, Guard(perms.VOUCHERS_RELEASE)],
                    _key: Idempotent) -> VoucherRead:
    views.releasable(session, principal, voucher_id)
    voucher = tranches.release(session, voucher_id=voucher_id, index=index,
                               reason=body.reason, user_id=principal.user_id)
    return views.reads(session, [voucher])[0]


@router.post("/vouchers/{voucher_id}/clawback", response_model=VoucherRead,
             summary="Withdraw a voucher for fraud; its unspent money returns to the "
                     "program (audited with the reason)")
def clawback(voucher_id: int, body: ClawbackIn, session: DbSession,
             principal: Annotated[Principal, Guard(perms.VOUCHERS_CLAWBACK)],
             _key: Idempotent) -> VoucherRead:
    views.clawable(session, principal, voucher_id)
    voucher = service.clawback(session, voucher_id=voucher_id, reason=body.reason,
                               user_id=principal.user_id)
    return views.reads(session, [voucher])[0]
