"""JSON routes of the integrity domain: the last verifications, and verifying now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.integrity import permissions as perms
from suanli.integrity import service
from suanli.integrity.schemas import LatestRead

router = APIRouter(tags=["integrity"])
Checker = Annotated[Principal, Guard(perms.INTEGRITY_CHECK)]


@router.get("/integrity/checks/latest", response_model=LatestRead,
            summary="When the audit chain and the ledger were last verified, and the results")
def latest_checks(session: DbSession, principal: Checker) -> LatestRead:
    return LatestRead.of(service.latest(session))


@router.post("/integrity/checks", response_model=LatestRead, status_code=201,
             summary="Verify the audit chain and the ledger now and store both results "
                     "(reads every record: seconds per hundred thousand transfers)")
def check_now(session: DbSession, principal: Checker) -> LatestRead:
    return LatestRead.of(service.check_now(session, by=service.Requester.of(principal)))
