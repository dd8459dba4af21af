"""CSV exports of the lists a viewer may see: applications, vouchers, contracts, the audit
log. Money is a decimal string (kit/tables `Money`), times are Asia/Shanghai; each export
holds exactly the rows the same viewer's page would list, all of them (no page limit).
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.applications import permissions as app_perms
from suanli.applications import views as app_views
from suanli.audit.models import AuditRecord
from suanli.auth import roles
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.kit.tables import Money, Table
from suanli.market import permissions as market_perms
from suanli.market import views as market_views
from suanli.market.models import Contract
from suanli.programs import repository as program_repo
from suanli.vouchers import permissions as voucher_perms
from suanli.vouchers import service as voucher_service
from suanli.vouchers import views as voucher_views
from suanli.web.downloads import download

router = APIRouter(include_in_schema=False)
BATCH = 1000


def _names(session: Session, org_ids: set[int]) -> dict[int, str]:
    return {k: o.slug for k, o in program_repo.organisations(session, org_ids).items()}


@router.get("/exports/applications.csv")
def applications_csv(session: DbSession, principal: Annotated[
        Principal, Guard(app_perms.APPLICATIONS_READ)]) -> Response:
    rows = app_views.listed(session, principal, None, None)
    orgs = _names(session, {a.organisation_id for a in rows})
    table = Table("applications", ["id", "program_id", "organisation", "status",
                                   "requested_cny", "granted_cny", "voucher_id",
                                   "submitted_at", "decided_at"])
    for a in rows:
        table.rows.append([a.id, a.program_id, orgs.get(a.organisation_id, ""), str(a.status),
                           None if a.requested_value_fen is None
                           else Money(a.requested_value_fen),
                           None if a.value_fen is None else Money(a.value_fen), a.voucher_id,
                           a.submitted_at, a.decided_at])
    return download([table], "csv", "applications")


@router.get("/exports/vouchers.csv")
def vouchers_csv(session: DbSession, principal: Annotated[
        Principal, Guard(voucher_perms.VOUCHERS_READ)]) -> Response:
    rows = voucher_views.visible_vouchers(session, principal)
    balances = voucher_service.balances(session, rows)
    orgs = _names(session, {v.holder_org_id for v in rows})
    table = Table("vouchers", ["id", "program_id", "holder", "status", "face_value_cny",
                               "available_cny", "held_cny", "spent_cny", "returned_cny",
                               "valid_from", "valid_until"])
    for v in rows:
        b = balances[v.id]
        table.rows.append([v.id, v.program_id, orgs.get(v.holder_org_id, ""), str(v.status),
                           Money(b.face_value), Money(b.available), Money(b.held),
                           Money(b.spent), Money(b.returned), v.valid_from, v.valid_until])
    return download([table], "csv", "vouchers")


def _contracts(session: Session, principal: Principal) -> list[Contract]:
    buyers, providers = market_views.contract_scope(principal)
    stmt = select(Contract).order_by(Contract.id.desc())
    if buyers is not None or providers is not None:
        stmt = stmt.where(Contract.buyer_org_id.in_(sorted(buyers or ()))
                          | Contract.provider_org_id.in_(sorted(providers or ())))
    return list(session.execute(stmt).scalars())


@router.get("/exports/contracts.csv")
def contracts_csv(session: DbSession, principal: Annotated[
        Principal, Guard(market_perms.CONTRACTS_READ)]) -> Response:
    table = Table("contracts", ["id", "source", "order_id", "buyer", "provider",
                                "accelerator", "gpus", "start_at", "end_at", "gpu_hours",
                                "unit_price_cny", "subsidy_rate", "cost_cny", "subsidy_cny",
                                "buyer_pays_cny", "voucher_id", "state",
                                "cancel_charge_cny"])
    for c in _contracts(session, principal):
        table.rows.append([c.id, str(c.source), c.order_id, c.buyer.slug, c.provider.slug,
                           c.accelerator_model, c.gpus, c.start_at, c.end_at, c.gpu_hours,
                           Money(c.unit_price_fen), str(c.subsidy_rate), Money(c.cost_fen),
                           Money(c.subsidy_fen), Money(c.buyer_pays_fen), c.voucher_id,
                           str(c.state), None if c.cancel_charge_fen is None
                           else Money(c.cancel_charge_fen)])
    return download([table], "csv", "contracts")


@router.get("/exports/audit.csv")
def audit_csv(session: DbSession,
              principal: Annotated[Principal, Guard(roles.AUDIT_READ)]) -> Response:
    table = Table("audit", ["seq", "at", "actor", "organisation_id", "action",
                            "object_type", "object_id", "before", "after", "hash"])
    last = 0
    while True:  # in batches of seq: the log can be long
        batch = list(session.execute(select(AuditRecord).where(AuditRecord.seq > last)
                                     .order_by(AuditRecord.seq).limit(BATCH)).scalars())
        for r in batch:
            table.rows.append([r.seq, r.at, r.actor, r.organisation_id, r.action,
                               r.object_type, r.object_id, _json(r.before), _json(r.after),
                               r.hash])
        if len(batch) < BATCH:
            break
        last = batch[-1].seq
    return download([table], "csv", "audit-log")


def _json(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                               default=str)
