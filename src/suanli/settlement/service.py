"""Settling contracts: each day (Asia/Shanghai) and at contract end.

For each contract begun before the end of the day and not yet settled at its end, the
contract's usage up to the day's end (a record over midnight counts for its time before it;
all of it at contract end) is priced from running totals (`charges.running`: the day bills
what it adds to what earlier days billed), split between voucher and buyer
(`charges.split`), and the
two chains of holds move on in one linked ledger batch with deterministic ids
(`contract:<id>:voucher:<day>-post`, `-hold`, `-void`), together with the payout of the
buyer's share to the provider. The settlement row is unique per (contract, day): running a
day again finds it and changes nothing; a replayed batch replays the same transfer ids.

Money flow by redemption mode (a program setting):

* `provider_claims`: the voucher's share is posted to the provider's receivable now and
  claimed by the provider; approval pays it out, rejection returns it to the voucher.
* `buyer_reimbursed` (Beijing): the buyer pays the whole charge now (the contract holds the
  whole cost on its cash); the voucher's share stays reserved in the voucher chain, earmarked for
  the buyer's claim; approval posts it from the voucher and reimburses the buyer's cash,
  rejection releases it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.posting import TransferSpec
from suanli.market import settlement_port
from suanli.market.models import Contract, ContractState
from suanli.metering import late_port
from suanli.metering import service as metering
from suanli.programs import service as programs
from suanli.programs.models import Program
from suanli.settlement import adjustments, billing, chains, claims
from suanli.settlement import repository as repo
from suanli.settlement.accounts import buyer_payer
from suanli.settlement.charges import (
    Shares,
    period_bounds,
    period_of,
    plan,
    running,
    split,
    subsidy_of,
)
from suanli.settlement.models import ContractSettlement, HoldChain, Kind, Side


@dataclass
class RunReport:
    period: date
    settled: int = 0
    final: int = 0
    unchanged: int = 0
    charge_fen: int = 0
    adjusted: int = 0  # contracts whose late usage was billed as an adjustment
    # Contracts not settled because a lapsed hold could not be held again: id -> why.
    failed: dict[int, str] = field(default_factory=dict)

    def add(self, other: RunReport) -> None:
        """Count in the report of another part of the same run."""
        self.settled += other.settled
        self.final += other.final
        self.unchanged += other.unchanged
        self.charge_fen += other.charge_fen
        self.adjusted += other.adjusted
        self.failed.update(other.failed)


def contracts_due(session: Session, *, period_end: date) -> list[int]:
    """The ids of the contracts `settle_period` settles for the day `period_end`."""
    return [c.id for c in repo.contracts_to_settle(session, period_bounds(period_end)[1])]


def settle_period(session: Session, *, period_end: date, now: datetime | None = None,
                  contract_ids: Collection[int] | None = None, late: bool = True
                  ) -> RunReport:
    """Settle every contract (or those of `contract_ids` among them) for the day
    `period_end`, then, when `late`, bill usage reported after contracts' ends; running it
    again changes nothing. A command may settle one contract per transaction this way
    (`worker.settle_in_batches`) so that no writer waits for the whole run."""
    _, until = period_bounds(period_end)
    report = RunReport(period_end)
    for contract in repo.contracts_to_settle(session, until):
        if contract_ids is not None and contract.id not in contract_ids:
            continue
        final = contract.end_at <= until
        # A contract that ended earlier is settled on its last day (settlement lagged).
        period = min(period_end, last_day(contract)) if final else period_end
        try:
            with session.begin_nested():  # a contract that fails leaves nothing behind
                done, new = settle_contract(session, contract=contract, period=period,
                                            final=final, until=None if final else until,
                                            now=now)
        except Conflict as exc:
            if exc.field != "hold":
                raise
            report.failed[contract.id] = exc.detail  # the others settle; the run says so
            continue
        if not new:
            report.unchanged += 1
        elif done is not None:
            report.settled += 1
            report.final += done.final
            report.charge_fen += done.charge_fen
    for row in adjustments.settle_late(session, period=period_end, now=now) if late else ():
        report.settled += 1
        report.adjusted += 1
        report.charge_fen += row.charge_fen
    return report


def settle_due(session: Session, *, now: datetime | None = None) -> RunReport:
    """The worker's job: settle yesterday (Asia/Shanghai). Safe to run on every tick."""
    return settle_period(session, period_end=period_of(now or utcnow()) - timedelta(days=1),
                         now=now)


def settle_contract_end(session: Session, *, contract_id: int, now: datetime | None = None
                        ) -> ContractSettlement | None:
    """Settle a contract that has ended: bill what remains, release what nothing needs."""
    contract = repo.contract(session, contract_id)
    if contract is None:
        raise NotFound(f"no contract {contract_id}", field="contract_id")
    if contract.state == ContractState.CANCELLED:
        raise Conflict("a cancelled contract is not settled", field="contract_id")
    if contract.end_at > (now or utcnow()):
        raise Conflict("the contract has not ended yet", field="contract_id")
    done, _ = settle_contract(session, contract=contract, period=last_day(contract),
                              final=True, until=None, now=now)
    return done


def last_day(contract: Contract) -> date:
    """The day of the contract's last instant (an end at midnight closes the day before)."""
    return period_of(contract.end_at - timedelta(microseconds=1))


@dataclass(frozen=True)
class Bill:
    """What a settlement bills when its terms, not usage, set the charge (a cancellation)."""

    charge: int
    subsidy: int
    kind: Kind
    evidence: dict[str, Any]


def settle_cancellation(session: Session, *, contract: Contract, charge_fen: int,
                        fee_fen: int = 0, now: datetime) -> ContractSettlement:
    """Close a cancelled contract as its final settlement: bill what the cancellation still
    owes (`charge_fen`, the whole cancellation charge, less what the days already billed),
    then release both chains of holds. The voucher subsidises the fee for hours never run
    (`fee_fen`) only where its program says so (`subsidise_cancellation`)."""
    if repo.has_final(session, contract.id):
        raise Conflict(f"contract {contract.id} is already settled to its end", field="state")
    period = period_of(now)
    if repo.settlement(session, contract.id, period) is not None:
        raise Conflict(f"contract {contract.id} was settled for {period} already; cancel it "
                       "tomorrow or let it run to its end", field="state")
    program = billing.program_of(session, contract)
    billed = repo.billed(session, contract.id)
    due = max(0, charge_fen - billed.charge)
    with_fee = program is not None and program.subsidise_cancellation
    subsidised = charge_fen if with_fee else charge_fen - fee_fen
    rate = contract.subsidy_rate if program is not None else Decimal(0)
    evidence = {"cancellation": {
        "cancelled_at": now.isoformat(), "charge_fen": charge_fen, "fee_fen": fee_fen,
        "fee_subsidised": with_fee}, "delivered": repo.delivered_usage(session, contract.id)}
    bill = Bill(due, subsidy_of(subsidised, rate, billed, due), Kind.CANCELLATION, evidence)
    done, _ = settle_contract(session, contract=contract, period=period, final=True,
                              until=None, now=now, bill=bill)
    assert done is not None  # neither a final nor this day's settlement existed
    return done


def settle_contract(session: Session, *, contract: Contract, period: date, final: bool,
                    until: datetime | None, now: datetime | None = None,
                    bill: Bill | None = None) -> tuple[ContractSettlement | None, bool]:
    """Settle one contract for one day; (the settlement, whether it is new). `bill`
    replaces the usage-priced charge (a cancellation bills by its terms, not by usage)."""
    existing = repo.settlement(session, contract.id, period)
    if existing is not None:
        return existing, False
    if final and repo.has_final(session, contract.id):
        return None, False
    # Read before the totals: a record reported meanwhile is then neither counted here nor
    # marked, and a later settlement bills it.
    pending = metering.unsettled(session, contract_id=contract.id, until=until)
    billed = repo.billed(session, contract.id)
    delivered, spanning = repo.delivered(session, contract.id, until, pending.through)
    gpu_seconds = max(0, delivered - billed.gpu_seconds)
    if not pending.records and not gpu_seconds and not final:
        return None, False
    program = billing.program_of(session, contract)
    rate = contract.subsidy_rate if program is not None else Decimal(0)
    charge, subsidy = (running(delivered, contract.unit_price_fen, rate, billed)
                       if bill is None else (bill.charge, bill.subsidy))
    voucher = chains.head(session, contract, Side.VOUCHER, now) if program else None
    buyer = chains.head(session, contract, Side.BUYER, now)
    shares = _shares(session, contract, program, voucher, buyer, charge, subsidy)
    specs = _moves(session, contract, program, voucher, buyer, shares, period, final)
    ledger.batch(session, specs, now=now)
    invoice = billing.invoice_for(session, contract.buyer_org_id, period)
    row = ContractSettlement(
        contract_id=contract.id, period=period, final=final, invoice_id=invoice.id,
        buyer_org_id=contract.buyer_org_id, provider_org_id=contract.provider_org_id,
        program_id=program.id if program else None, voucher_id=contract.voucher_id,
        mode=str(program.redemption_mode) if program else None, records=pending.records,
        kind=Kind.USAGE if bill is None else bill.kind,
        gpu_seconds=gpu_seconds, unit_price_fen=contract.unit_price_fen,
        subsidy_rate=contract.subsidy_rate, charge_fen=shares.charge, voucher_fen=shares.voucher,
        buyer_fen=shares.buyer, uncovered_fen=shares.uncovered, transfer_ids=[s.id for s in specs])
    repo.add(session, row)
    metering.mark_settled(session, contract_id=contract.id, pending=pending, until=until,
                          settlement_id=row.id)
    if program is not None and shares.voucher > 0:
        claims.open_claim(session, settlement=row, contract=contract, program=program,
                          invoice=invoice, records=pending.records + len(spanning),
                          record_ids=pending.first_ids + spanning,
                          extra=None if bill is None else bill.evidence)
    audit.record(session, action="settlement.settle", object_type="contract_settlement",
                 object_id=row.id, after=billing.snapshot(row),
                 organisation_id=contract.buyer_org_id)
    return row, True


def _shares(session: Session, contract: Contract, program: Program | None,
            voucher: HoldChain | None, buyer: HoldChain | None, charge: int, subsidy: int
            ) -> Shares:
    room = 0 if voucher is None else voucher.remaining - voucher.earmarked
    rate = contract.subsidy_rate if program is not None else Decimal(0)
    reimbursed = billing.reimbursed(program)
    cash = 0
    if reimbursed:
        try:
            cash = ledger.balance(session, buyer_payer(session, contract.buyer_org_id)).available
        except NotFound:
            cash = 0
    return split(charge, rate=rate, voucher_room=room, subsidy=subsidy,
                 buyer_room=0 if buyer is None else buyer.remaining,
                 buyer_pays_all=reimbursed, cash_room=cash)


def _moves(session: Session, contract: Contract, program: Program | None,
           voucher: HoldChain | None, buyer: HoldChain | None, shares: Shares, period: date,
           final: bool) -> list[TransferSpec]:
    """The linked batch: both chains moved on, the buyer's share paid out to the provider."""
    tag = f"contract:{contract.id}"
    reimbursed = billing.reimbursed(program)
    moves = plan(shares, reimbursed=reimbursed,
                 voucher_remaining=0 if voucher is None else voucher.remaining,
                 earmarked=0 if voucher is None else voucher.earmarked,
                 buyer_remaining=0 if buyer is None else buyer.remaining, final=final)
    specs: list[TransferSpec] = []
    if voucher is not None:
        voucher.earmarked = moves.earmarked
        specs += chains.step(voucher, amount=moves.voucher_post, keep=moves.voucher_keep,
                             prefix=f"{tag}:voucher:{period}", ref=tag, lasting=reimbursed,
                             reason="settlement-release" if reimbursed else "settlement")
    if buyer is not None:
        specs += chains.step(buyer, amount=moves.buyer_post, keep=moves.buyer_keep,
                             prefix=f"{tag}:buyer:{period}", reason="settlement", ref=tag)
    return specs + billing.payments(session, contract, shares, tag, period)


def refusing_late_usage(session: Session, contract_ids: Collection[int]) -> dict[int, str]:
    """Of these contracts, those settled to their end whose program refuses late usage."""
    out = {}
    for final in repo.final_settlements(session, contract_ids):
        program = programs.get(session, final.program_id) if final.program_id else None
        if program is not None and program.refuse_late_usage:
            out[final.contract_id] = (
                f"contract {final.contract_id} was settled to its end on {final.period} and "
                f"its program ({program.name}) refuses usage reported after that "
                "(refuse_late_usage)")
    return out


# Cancelling a contract after its start closes it here; late usage asks here.
settlement_port.plug_in(settle_cancellation)
late_port.plug_in(refusing_late_usage)
