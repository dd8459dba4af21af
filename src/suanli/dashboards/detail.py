"""One order or one contract with everything that hangs off it, for its parties only.

Who may look: the buyer's members (and for a contract the provider's), the platform and
the regulator; to anyone else the record does not exist (404, not 403: an id is no
proof that a record exists).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.dashboards import parties_repository as repo
from suanli.kit.errors import NotFound
from suanli.kit.timeutil import SHANGHAI, as_utc, to_shanghai
from suanli.ledger import repository as ledger_repo
from suanli.market import views
from suanli.market.models import Contract, Order
from suanli.settlement import views as settlement_views
from suanli.settlement.models import Claim, ContractSettlement, HoldChain


def contract_for(session: Session, principal: Principal, contract_id: int) -> Contract:
    row = session.get(Contract, contract_id)
    buyers, providers = views.contract_scope(principal)
    if row is None or not (
            (buyers is None and providers is None) or row.buyer_org_id in (buyers or ())
            or row.provider_org_id in (providers or ())):
        raise NotFound(f"no contract {contract_id}", field="contract_id")
    return row


def order_for(session: Session, principal: Principal, order_id: int) -> Order:
    row = session.get(Order, order_id)
    scope = views.buyer_scope(principal)
    if row is None or (scope is not None and row.organisation_id not in scope):
        raise NotFound(f"no order {order_id}", field="order_id")
    return row


def per_day(spans: list[tuple[datetime, datetime, int]]) -> dict[date, Decimal]:
    """GPU-hours per Asia/Shanghai day, each record spread evenly over its span."""
    out: dict[date, Decimal] = defaultdict(Decimal)
    for start, end, seconds in spans:
        start, end = as_utc(start), as_utc(end)
        length = (end - start).total_seconds()
        if length <= 0:
            out[to_shanghai(start).date()] += Decimal(seconds) / 3600
            continue
        day = to_shanghai(start).date()
        while True:
            lo = max(start, datetime.combine(day, datetime.min.time(), SHANGHAI))
            hi = min(end, datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                           SHANGHAI))
            if hi <= lo:
                break
            out[day] += Decimal(seconds) * Decimal((hi - lo).total_seconds()) / \
                Decimal(length) / 3600
            day += timedelta(days=1)
    return {d: v.quantize(Decimal("0.01")) for d, v in sorted(out.items())}


@dataclass
class Hold:
    side: str
    first_id: str
    first_amount: int | None
    current_id: str | None
    remaining: int | None
    state: str
    expires_at: datetime | None


@dataclass
class ContractDetail:
    contract: Contract
    holds: list[Hold]
    delivered: dict[date, Decimal]
    settlements: list[tuple[ContractSettlement, str]]
    claims: list[Claim]
    invoice_links: bool  # whether the caller may open the invoices
    claim_scope: frozenset[int] | None = field(default=None)

    @property
    def delivered_total(self) -> Decimal:
        return sum(self.delivered.values(), Decimal(0))

    def can_open_claim(self, claim: Claim) -> bool:
        scope = self.claim_scope
        return scope is None or claim.claimant_org_id in scope \
            or claim.authority_org_id in scope


def _holds(session: Session, contract: Contract, chains: list[HoldChain]) -> list[Hold]:
    by_side = {str(c.side): c for c in chains}
    out = []
    for side, first in (("voucher", contract.voucher_hold_id), ("buyer", contract.buyer_hold_id)):
        if not first:
            continue
        stored = ledger_repo.transfer_by_id(session, first)
        chain = by_side.get(side)
        current = chain.hold_id if chain is not None else first
        now = ledger_repo.transfer_by_id(session, current) if chain is not None else stored
        state = str(now.hold_state) if now is not None and now.hold_state else "unknown"
        out.append(Hold(side, first, stored.amount if stored else None, current,
                        chain.remaining if chain is not None else
                        (stored.amount if stored and state == "pending" else 0),
                        state, now.expires_at if now is not None else None))
    return out


def contract_detail(session: Session, principal: Principal, contract_id: int
                    ) -> ContractDetail:
    contract = contract_for(session, principal, contract_id)
    invoices = settlement_views.invoice_scope(principal)
    return ContractDetail(
        contract=contract, holds=_holds(session, contract, repo.hold_chains(session,
                                                                            contract_id)),
        delivered=per_day(repo.usage_spans(session, contract_id)),
        settlements=repo.settlements_of(session, contract_id),
        claims=repo.claims_of(session, contract_id),
        invoice_links=invoices is None or contract.buyer_org_id in invoices,
        claim_scope=settlement_views.claim_scope(principal))
