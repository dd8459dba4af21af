"""Usage reported after a contract's final settlement: billed as an adjustment.

A contract settled to its end has released its holds, so usage reported later (and
accepted: its program does not refuse late usage) is billed by the next settlement run as
an *adjustment*: a settlement row of kind `adjustment` on that day's invoice, priced from the
contract's running totals like any day, and paid from what the payers have now:

* `provider_claims`: the voucher's share is transferred from the voucher's balance to the
  provider's receivable (and claimed by the provider, the claim marked `adjustment`); the
  buyer's share from its cash, paid out to the provider;
* `buyer_reimbursed`: the buyer pays the whole charge from its cash; the voucher's share is
  reserved again on the contract's voucher chain for the buyer's claim.

What neither can pay is `uncovered`, shown on the invoice. One adjustment per contract and
day (a contract settled on the run's day already waits for the next day's run); transfer
ids are `contract:<id>:adjust:<day>:...`, so a replay writes nothing twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import NotFound
from suanli.ledger import service as ledger
from suanli.ledger.posting import TransferSpec
from suanli.market.models import Contract
from suanli.metering import service as metering
from suanli.programs.models import Program
from suanli.settlement import billing, chains, claims
from suanli.settlement import repository as repo
from suanli.settlement.accounts import buyer_payer
from suanli.settlement.charges import Shares, running, split
from suanli.settlement.models import ContractSettlement, HoldChain, Kind, Side
from suanli.vouchers import service as vouchers


def settle_late(session: Session, *, period: date, now: datetime | None = None
                ) -> list[ContractSettlement]:
    """Bill, as adjustments on `period`, the usage reported after contracts' final
    settlements."""
    done = []
    for contract in repo.contracts_with_late_usage(session):
        row = settle_adjustment(session, contract=contract, period=period, now=now)
        if row is not None:
            done.append(row)
    return done


def settle_adjustment(session: Session, *, contract: Contract, period: date,
                      now: datetime | None = None) -> ContractSettlement | None:
    """One contract's late usage as an adjustment on `period` (None: nothing to bill, or
    the contract has a settlement on that day already)."""
    if repo.settlement(session, contract.id, period) is not None:
        return None
    pending = metering.unsettled(session, contract_id=contract.id, until=None)
    if not pending.records:
        return None
    program = billing.program_of(session, contract)
    billed = repo.billed(session, contract.id)
    delivered, _ = repo.delivered(session, contract.id, None, pending.through)
    rate = contract.subsidy_rate if program is not None else Decimal(0)
    charge, subsidy = running(delivered, contract.unit_price_fen, rate, billed)
    chain = chains.head(session, contract, Side.VOUCHER, now) if program else None
    shares = _shares(session, contract, program if chain else None, charge, subsidy, rate)
    specs = _moves(session, contract, program, chain, shares, period)
    ledger.batch(session, specs, now=now)
    invoice = billing.invoice_for(session, contract.buyer_org_id, period)
    row = ContractSettlement(
        contract_id=contract.id, period=period, final=False, kind=Kind.ADJUSTMENT,
        invoice_id=invoice.id, buyer_org_id=contract.buyer_org_id,
        provider_org_id=contract.provider_org_id, program_id=program.id if program else None,
        voucher_id=contract.voucher_id, mode=str(program.redemption_mode) if program else None,
        records=pending.records, gpu_seconds=max(0, delivered - billed.gpu_seconds),
        unit_price_fen=contract.unit_price_fen, subsidy_rate=contract.subsidy_rate,
        charge_fen=shares.charge, voucher_fen=shares.voucher, buyer_fen=shares.buyer,
        uncovered_fen=shares.uncovered, transfer_ids=[s.id for s in specs])
    repo.add(session, row)
    metering.mark_settled(session, contract_id=contract.id, pending=pending, until=None,
                          settlement_id=row.id)
    if program is not None and shares.voucher > 0:
        claims.open_claim(session, settlement=row, contract=contract, program=program,
                          invoice=invoice, records=pending.records,
                          record_ids=pending.first_ids)
    audit.record(session, action="settlement.adjust", object_type="contract_settlement",
                 object_id=row.id, after=billing.snapshot(row),
                 organisation_id=contract.buyer_org_id)
    return row


def _available(session: Session, code: str) -> int:
    try:
        return ledger.balance(session, code).available
    except NotFound:
        return 0


def _shares(session: Session, contract: Contract, program: Program | None, charge: int,
            subsidy: int, rate: Decimal) -> Shares:
    """Who pays what of the late charge from what each payer has now; all of the buyer's
    part comes straight from its cash (`direct`)."""
    cash = _available(session, buyer_payer(session, contract.buyer_org_id))
    voucher = 0
    if program is not None and contract.voucher_id is not None:
        voucher = vouchers.balance(session, vouchers.get(session, contract.voucher_id)
                                   ).available
    reimbursed = billing.reimbursed(program)
    shares = split(charge, rate=rate, subsidy=subsidy, voucher_room=voucher,
                   buyer_room=0 if reimbursed else cash, buyer_pays_all=reimbursed,
                   cash_room=cash)
    return shares if reimbursed else replace(shares, direct=shares.buyer)


def _moves(session: Session, contract: Contract, program: Program | None,
           chain: HoldChain | None, shares: Shares, period: date) -> list[TransferSpec]:
    tag = f"contract:{contract.id}"
    prefix = f"{tag}:adjust:{period}"
    specs: list[TransferSpec] = []
    if chain is not None and shares.voucher:
        if billing.reimbursed(program):
            chain.earmarked += shares.voucher
            specs += chains.grow(chain, extra=shares.voucher, prefix=f"{prefix}:voucher",
                                 reason="settlement-adjustment", ref=tag)
        else:
            specs.append(TransferSpec.transfer(
                id=f"{prefix}:voucher", debit=chain.debit, credit=chain.credit,
                amount=shares.voucher, reason="settlement-adjustment", ref=tag))
    return specs + billing.payments(session, contract, shares, f"{tag}:adjust", period)
