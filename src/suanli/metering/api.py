"""JSON routes of metering: providers report usage; parties read a contract's usage."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.metering import permissions as perms
from suanli.metering import repository, service
from suanli.metering.models import UsageRecord
from suanli.metering.schemas import (
    BatchRead,
    ContractUsage,
    UnattributedRead,
    UsageRecordRead,
    UsageReport,
    UsageReportResult,
    UsageSummary,
)

router = APIRouter(tags=["metering"])
Reporter = Annotated[Principal, Guard(perms.USAGE_REPORT)]
Reader = Annotated[Principal, Guard(perms.USAGE_READ)]
Paging = Annotated[PageParams, Depends(page_params)]


def reporter_of(principal: Principal) -> service.Reporter:
    orgs = principal.org_ids_with(perms.USAGE_REPORT)
    return service.Reporter(name=principal.username, org_ids=frozenset(orgs),
                            organisation_id=next(iter(orgs)) if len(orgs) == 1 else None)


def read_scope(principal: Principal) -> frozenset[int] | None:
    """None (everything) for the platform and the regulator, else the caller's orgs."""
    return None if principal.can(perms.USAGE_READ_ALL) else principal.org_ids()


@router.post("/metering/usage", response_model=UsageReportResult, status_code=201,
             summary="Report usage of your contracts (send an Idempotency-Key)",
             description="All records are stored or none: a bad record is a 422 naming it "
                         "(`records[3].gpus`, `records[0].end` for usage ending in the "
                         "future), another provider's contract or cluster a 404. A record "
                         "may name `cluster_id` and `gpu_uuids` instead of a contract (the "
                         "provider agent's shape): each GPU's interval goes to the contracts "
                         "whose placement held it, split at contract boundaries; time no "
                         "contract held is answered as `unattributed_gpu_seconds`, not "
                         "billed. Records already stored (same contract, ref and GPU) are "
                         "counted as duplicates and add nothing. Reconciliation flags are "
                         "on the records.")
def report_usage(body: UsageReport, session: DbSession, principal: Reporter,
                 _key: Idempotent) -> UsageReportResult:
    report = service.report_usage(session, records=body.records, reporter=reporter_of(principal),
                                  run=uuid.uuid4().hex)
    lost = [UnattributedRead(record=u.line - 1, gpu_uuid=u.gpu_uuid, start=u.started_at,
                             end=u.ended_at, gpu_seconds=u.gpu_seconds, reason=u.reason)
            for u in report.unattributed]
    return UsageReportResult(batch_id=report.batch_id or 0, accepted=report.accepted,
                             duplicates=report.duplicates, flagged=report.flagged,
                             unattributed_gpu_seconds=sum(
                                 report.unattributed_gpu_seconds.values()),
                             unattributed=lost)


def _read(record: UsageRecord, settlement_id: int | None) -> UsageRecordRead:
    fields = {f: getattr(record, f) for f in UsageRecordRead.model_fields
              if f != "settlement_id"}
    return UsageRecordRead.model_validate(fields | {
        "gpu_uuid": record.gpu_uuid or None, "settlement_id": settlement_id})


@router.get("/metering/contracts/{contract_id}/usage", response_model=ContractUsage,
            summary="Usage records of a contract you are party to, with flags")
def contract_usage(contract_id: int, session: DbSession, principal: Reader,
                   page: Paging) -> ContractUsage:
    contract = service.contract_for_reading(session, contract_id, read_scope(principal))
    rows, total = repository.records_of(session, contract.id, limit=page.limit,
                                        offset=page.offset)
    billed = repository.settlements_of(session, rows)
    n, reported, billable = repository.summary_of(session, [contract.id]).get(contract.id,
                                                                             (0, 0, 0))
    summary = UsageSummary(records=n, gpu_seconds=reported, billable_gpu_seconds=billable,
                           flagged=repository.flagged_count(session, contract.id))
    return ContractUsage(contract_id=contract.id, summary=summary,
                         items=[_read(r, billed.get(r.id)) for r in rows], total=total,
                         limit=page.limit,
                         offset=page.offset)


@router.get("/metering/batches", response_model=Page[BatchRead],
            summary="Import batches: yours, or all for the platform and the regulator")
def list_batches(session: DbSession, principal: Reader, page: Paging) -> Page[BatchRead]:
    rows, total = repository.batches(session, read_scope(principal), limit=page.limit,
                                     offset=page.offset)
    return Page[BatchRead](items=[BatchRead.model_validate(b) for b in rows], total=total,
                           limit=page.limit, offset=page.offset)
