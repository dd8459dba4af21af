"""What the demo built, counted table by table for the closing printout."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.applications.models import Application
from suanli.audit.models import AuditRecord
from suanli.auth.models import Organisation, User
from suanli.catalog.models import Accelerator
from suanli.ledger.models import Transfer
from suanli.market.models import Contract, Offer, Order, Round
from suanli.metering.models import UsageBatch, UsageRecord
from suanli.programs.models import Program
from suanli.providers.models import Cluster, ComplianceCase, DataCentre
from suanli.settlement.models import Claim, Invoice
from suanli.vouchers.models import Voucher

COUNTED = [
    ("organisations", Organisation), ("users", User), ("accelerator models", Accelerator),
    ("programs", Program), ("applications", Application), ("vouchers", Voucher),
    ("data centres", DataCentre), ("clusters", Cluster), ("compliance cases", ComplianceCase),
    ("offers", Offer), ("orders", Order), ("clearing rounds", Round), ("contracts", Contract),
    ("usage imports", UsageBatch), ("usage records", UsageRecord), ("invoices", Invoice),
    ("claims", Claim), ("ledger transfers", Transfer), ("audit records", AuditRecord),
]


def counts(session: Session) -> list[tuple[str, int]]:
    """(what, how many) for each kind of thing the demo builds."""
    return [(label, int(session.execute(select(func.count()).select_from(model)).scalar_one()))
            for label, model in COUNTED]


def usage_formats(session: Session) -> list[str]:
    """The import formats the usage came in (sacct, prometheus, json)."""
    stmt = select(UsageBatch.source).distinct().order_by(UsageBatch.source)
    return list(session.execute(stmt).scalars())
