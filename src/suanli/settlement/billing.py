"""What every kind of settlement shares: the contract's program, the invoice of the day,
the payments to the provider, the audit snapshot."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.ledger.posting import TransferSpec
from suanli.market.models import Contract
from suanli.programs import service as programs
from suanli.programs.enums import buyer_pays_all
from suanli.programs.models import Program
from suanli.settlement import repository as repo
from suanli.settlement.accounts import buyer_payer, payout_account, receivable_account
from suanli.settlement.charges import Shares
from suanli.settlement.models import ContractSettlement, Invoice
from suanli.vouchers import service as vouchers


def program_of(session: Session, contract: Contract) -> Program | None:
    if contract.voucher_id is None:
        return None
    return programs.get(session, vouchers.get(session, contract.voucher_id).program_id)


def reimbursed(program: Program | None) -> bool:
    return program is not None and buyer_pays_all(program.redemption_mode)


def payments(session: Session, contract: Contract, shares: Shares, tag: str, period: date
              ) -> list[TransferSpec]:
    """The buyer's direct payment (if any), then the provider's payout of the buyer's share."""
    receivable = receivable_account(session, contract.provider_org_id)
    specs = []
    if shares.direct:
        specs.append(TransferSpec.transfer(
            id=f"{tag}:buyer-direct:{period}",
            debit=buyer_payer(session, contract.buyer_org_id),
            credit=receivable, amount=shares.direct, reason="settlement", ref=tag))
    if shares.buyer:
        specs.append(TransferSpec.transfer(
            id=f"{tag}:payout:{period}", debit=receivable,
            credit=payout_account(session, contract.provider_org_id), amount=shares.buyer,
            reason="provider-payout", ref=tag))
    return specs


def invoice_for(session: Session, buyer_org_id: int, period: date) -> Invoice:
    found = repo.invoice_for(session, buyer_org_id, period)
    if found is not None:
        return found
    invoice = Invoice(number=f"INV-{period:%Y%m%d}-{buyer_org_id:06d}",
                      buyer_org_id=buyer_org_id, period=period)
    repo.add(session, invoice)
    outbox.emit(session, "invoice.issued", subject=("invoice", invoice.id), orgs={
        "buyer": buyer_org_id}, payload={"invoice_id": invoice.id, "number": invoice.number,
                                         "period": period})
    return invoice


def snapshot(row: ContractSettlement) -> dict[str, object]:
    return {"contract_id": row.contract_id, "period": row.period.isoformat(),
            "final": row.final, "kind": str(row.kind), "records": row.records,
            "gpu_seconds": row.gpu_seconds,
            "charge_fen": row.charge_fen, "voucher_fen": row.voucher_fen,
            "buyer_fen": row.buyer_fen, "uncovered_fen": row.uncovered_fen}


# Cancelling a contract whose days this module has begun billing closes it here.
