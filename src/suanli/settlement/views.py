"""Invoices, statements and claims as the API, pages and downloads show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.auth.roles import Perm
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.tables import Money, Table
from suanli.kit.timeutil import utcnow
from suanli.kit.units import gpu_hours
from suanli.programs.enums import provider_paid
from suanli.settlement import permissions as perms
from suanli.settlement import repository as repo
from suanli.settlement.charges import period_of
from suanli.settlement.models import Claim, ContractSettlement, Invoice


def scope(principal: Principal, everything: Perm, own: Perm) -> frozenset[int] | None:
    """None (all) for holders of `everything`, else the organisations granting `own`."""
    if principal.can(everything):
        return None
    return principal.org_ids_with(own)


def invoice_scope(principal: Principal) -> frozenset[int] | None:
    return scope(principal, perms.SETTLEMENT_READ_ALL, perms.INVOICES_READ)


def statement_scope(principal: Principal) -> frozenset[int] | None:
    return scope(principal, perms.SETTLEMENT_READ_ALL, perms.STATEMENTS_READ)


def claim_scope(principal: Principal) -> frozenset[int] | None:
    return scope(principal, perms.SETTLEMENT_READ_ALL, perms.CLAIMS_READ)


@dataclass
class InvoiceView:
    invoice: Invoice
    buyer: str
    lines: list[ContractSettlement] = field(default_factory=list)
    providers: dict[int, str] = field(default_factory=dict)
    claims: dict[int, Claim] = field(default_factory=dict)

    @property
    def totals(self) -> tuple[int, int, int, int]:
        return (sum(x.charge_fen for x in self.lines), sum(x.voucher_fen for x in self.lines),
                sum(x.buyer_fen for x in self.lines), sum(x.uncovered_fen for x in self.lines))


def invoice_view(session: Session, invoice_id: int, buyer_ids: frozenset[int] | None
                 ) -> InvoiceView:
    """An invoice the caller may see (its buyer's members, the platform, the regulator)."""
    invoice = repo.invoice(session, invoice_id)
    if invoice is None or (buyer_ids is not None and invoice.buyer_org_id not in buyer_ids):
        raise NotFound(f"no invoice {invoice_id}", field="invoice_id")
    lines = repo.lines_of_invoice(session, invoice.id)
    names = repo.org_names(session, {invoice.buyer_org_id} | {x.provider_org_id for x in lines})
    return InvoiceView(invoice, names.get(invoice.buyer_org_id, ""), lines, names,
                       repo.claims_by_settlement(session, [x.id for x in lines]))


def invoice_table(view: InvoiceView) -> Table:
    table = Table(view.invoice.number, ["contract", "provider", "gpu_hours",
                                        "unit_price_cny", "charge_cny", "voucher_share_cny",
                                        "buyer_share_cny", "uncovered_cny", "claim", "kind"])
    for x in view.lines:
        claim = view.claims.get(x.id)
        table.rows.append([x.contract_id, view.providers.get(x.provider_org_id, ""),
                           gpu_hours(x.gpu_seconds), Money(x.unit_price_fen),
                           Money(x.charge_fen), Money(x.voucher_fen), Money(x.buyer_fen),
                           Money(x.uncovered_fen), str(claim.status) if claim else "",
                           str(x.kind)])
    charge, voucher, buyer, uncovered = view.totals
    table.rows.append(["total", view.buyer, gpu_hours(sum(x.gpu_seconds for x in view.lines)),
                       None, Money(charge), Money(voucher), Money(buyer), Money(uncovered), "",
                       ""])
    return table


@dataclass
class StatementView:
    provider_org_id: int
    provider: str
    since: date
    until: date
    lines: list[ContractSettlement]
    buyers: dict[int, str]
    claims: dict[int, Claim]

    def paid(self) -> int:
        """Paid out: the buyers' shares plus approved claims."""
        approved = sum(c.amount_fen for c in self.claims.values() if c.status == "approved"
                       and provider_paid(c.mode))
        return sum(x.buyer_fen for x in self.lines) + approved


def statement_view(session: Session, provider_org_id: int, since: date, until: date
                   ) -> StatementView:
    lines = repo.statement_lines(session, provider_org_id, since, until)
    names = repo.org_names(session, {provider_org_id} | {x.buyer_org_id for x in lines})
    return StatementView(provider_org_id, names.get(provider_org_id, ""), since, until, lines,
                         names, repo.claims_by_settlement(session, [x.id for x in lines]))


def statement_table(view: StatementView) -> Table:
    table = Table(f"Statement {view.since}..{view.until}",
                  ["day", "contract", "buyer", "gpu_hours", "charge_cny", "buyer_share_cny",
                   "voucher_share_cny", "claim", "uncovered_cny"])
    for x in view.lines:
        claim = view.claims.get(x.id)
        table.rows.append([x.period, x.contract_id, view.buyers.get(x.buyer_org_id, ""),
                           gpu_hours(x.gpu_seconds), Money(x.charge_fen), Money(x.buyer_fen),
                           Money(x.voucher_fen), str(claim.status) if claim else "",
                           Money(x.uncovered_fen)])
    return table


def claim_for(session: Session, claim_id: int, org_ids: frozenset[int] | None) -> Claim:
    """A claim the caller may see: its claimant's or its authority's members, or all."""
    claim = repo.claim(session, claim_id)
    if claim is None or (org_ids is not None and claim.claimant_org_id not in org_ids
                         and claim.authority_org_id not in org_ids):
        raise NotFound(f"no claim {claim_id}", field="claim_id")
    return claim


def statement_provider(principal: Principal, organisation_id: int | None) -> int:
    """Whose statement: the named provider (if the caller may see it) or the caller's own."""
    orgs = statement_scope(principal)
    if organisation_id is not None:
        if orgs is not None and organisation_id not in orgs:
            raise NotFound(f"no provider {organisation_id} of yours", field="organisation_id")
        return organisation_id
    if orgs is None or len(orgs) != 1:
        raise ValidationFailed("name the provider organisation", field="organisation_id")
    return next(iter(orgs))


def statement_range(since: date | None, until: date | None, limit_days: int
                    ) -> tuple[date, date]:
    """The days a statement covers: by default the 30 days up to yesterday."""
    until = until or period_of(utcnow()) - timedelta(days=1)
    since = since or until - timedelta(days=29)
    if since > until:
        raise ValidationFailed("must not be after until", field="since")
    if (until - since).days >= limit_days:
        raise ValidationFailed(f"at most {limit_days} days", field="since")
    return since, until
