"""Contracts: writing one with its two ledger holds, state moves, and cancellation.

A contract holds its voucher share on ``voucher:<id>`` and the buyer's share on
``buyer-cash:<slug>`` (on ``buyer-credit:<slug>`` where the buyer has a credit line in
force, see ``programs.credit``; in a ``buyer_reimbursed`` program the buyer's hold is the
whole cost: the buyer pays the provider in full and is reimbursed afterwards), both towards
``provider-receivable:<provider>``, with the deterministic ids
``contract:<id>:voucher-hold`` and ``contract:<id>:buyer-hold``.
Metered usage (settlement) later posts them; this module only voids them on a
cancellation before the start, or posts the cancellation charge after it.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.kit.errors import Conflict, InsufficientFunds, NotFound
from suanli.kit.money import format_cny
from suanli.kit.timeutil import utcnow
from suanli.ledger import repository as ledger_repo
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.ledger.posting import HoldState
from suanli.market import funds, repository, settlement_port
from suanli.market.capacity import HOUR
from suanli.market.matching import hold_amounts
from suanli.market.models import Contract, ContractSource, ContractState, Offer
from suanli.market.placement import place
from suanli.programs import credit
from suanli.programs import enums as program_enums
from suanli.programs import service as programs
from suanli.vouchers.models import Voucher

HOLD_GRACE = timedelta(days=14)  # holds outlive the contract so usage can still post


@dataclass(frozen=True)
class Match:
    """Everything a new contract records; the money is already split (fen)."""

    source: ContractSource
    offer: Offer
    buyer: Organisation
    gpus: int
    start_at: datetime
    end_at: datetime
    gpu_hours: int
    unit_price_fen: int
    subsidy_rate: Decimal
    cost_fen: int
    subsidy_fen: int
    buyer_pays_fen: int
    voucher: Voucher | None = None
    order_id: int | None = None
    round_id: int | None = None


def snapshot(c: Contract) -> dict[str, object]:
    return {"offer_id": c.offer_id, "order_id": c.order_id, "round_id": c.round_id,
            "gpus": c.gpus, "start_at": c.start_at.isoformat(),
            "end_at": c.end_at.isoformat(), "unit_price_fen": c.unit_price_fen,
            "subsidy_rate": str(c.subsidy_rate), "cost_fen": c.cost_fen,
            "subsidy_fen": c.subsidy_fen, "buyer_pays_fen": c.buyer_pays_fen,
            "voucher_id": c.voucher_id, "state": str(c.state)}


def write_contract(session: Session, match: Match) -> Contract:
    """A reserved contract and its holds. A hold the ledger refuses (the buyer's cash or
    the voucher would go below zero) raises its 409 and the caller's transaction (or
    savepoint) leaves nothing behind."""
    offer = match.offer
    contract = Contract(
        source=match.source, order_id=match.order_id, round_id=match.round_id,
        offer_id=offer.id, buyer_org_id=match.buyer.id, provider_org_id=offer.organisation_id,
        accelerator_model=offer.accelerator_model, gpus=match.gpus, start_at=match.start_at,
        end_at=match.end_at, gpu_hours=match.gpu_hours, unit_price_fen=match.unit_price_fen,
        subsidy_rate=match.subsidy_rate, cost_fen=match.cost_fen,
        subsidy_fen=match.subsidy_fen, buyer_pays_fen=match.buyer_pays_fen,
        voucher_id=match.voucher.id if match.voucher and match.subsidy_fen else None,
        state=ContractState.RESERVED)
    repository.add(session, contract)
    receivable = funds.ensure_receivable(session, offer.organisation)
    expires = match.end_at + HOLD_GRACE
    ref = f"contract:{contract.id}"
    voucher_fen, buyer_fen = hold_amounts(match.cost_fen, match.subsidy_fen,
                                          buyer_pays_all=buyer_pays_all(session, contract))
    if voucher_fen > 0 and match.voucher is not None:
        contract.voucher_hold_id = f"{ref}:voucher-hold"
        ledger.hold(session, id=contract.voucher_hold_id, debit=match.voucher.account_code,
                    credit=receivable, amount=voucher_fen,
                    reason="contract voucher share", ref=ref, expires_at=expires)
    if buyer_fen > 0:
        contract.buyer_hold_id = f"{ref}:buyer-hold"
        _buyer_hold(session, contract, match.buyer, receivable, buyer_fen, expires)
    session.flush()
    audit.record(session, action="contract.create", object_type="contract",
                 object_id=contract.id, after=snapshot(contract),
                 organisation_id=contract.buyer_org_id)
    return contract


def _buyer_hold(session: Session, contract: Contract, buyer: Organisation, receivable: str,
                amount: int, expires: datetime) -> None:
    """Hold the buyer's share on its credit line where it has one in force (a line over
    its limit is refused by the ledger: 409 naming `credit_limit_cny`), else on its cash."""
    cash = funds.ensure_buyer_cash(session, buyer)  # reimbursements land there either way
    line = credit.credit_account(session, buyer.id)
    debit = line or cash
    assert contract.buyer_hold_id is not None
    try:
        ledger.hold(session, id=contract.buyer_hold_id, debit=debit, credit=receivable,
                    amount=amount, reason="contract buyer share", ref=f"contract:{contract.id}",
                    expires_at=expires)
    except ExceedsCredits as exc:
        if line is None:
            raise
        raise InsufficientFunds(f"your share of {format_cny(amount)} CNY exceeds what is left "
                                "of your credit line", field=credit.LIMIT_FIELD,
                                account=line) from exc


def buyer_pays_all(session: Session, contract: Contract) -> bool:
    """Whether the contract's voucher is of a `buyer_reimbursed` program: the buyer pays
    the whole cost and is reimbursed the subsidy through its claims."""
    if contract.voucher_id is None:
        return False
    return reimbursed(session, session.get(Voucher, contract.voucher_id))


def reimbursed(session: Session, voucher: Voucher | None) -> bool:
    """Whether the voucher's program reimburses buyers (`buyer_reimbursed`)."""
    if voucher is None:
        return False
    return program_enums.buyer_pays_all(programs.get(session, voucher.program_id).redemption_mode)


def buyer_hold_fen(session: Session, contract: Contract) -> int:
    """What the contract holds on the buyer's cash."""
    return hold_amounts(contract.cost_fen, contract.subsidy_fen,
                        buyer_pays_all=buyer_pays_all(session, contract))[1]


@dataclass(frozen=True)
class HoldRef:
    """One of a contract's holds, for settlement to post against metered usage."""

    payer: str  # "voucher" or "buyer"
    hold_id: str
    amount_fen: int


def contract_holds(contract: Contract) -> list[HoldRef]:
    """The contract's pending holds (none for a share of zero)."""
    out = []
    if contract.voucher_hold_id:
        out.append(HoldRef("voucher", contract.voucher_hold_id, contract.subsidy_fen))
    if contract.buyer_hold_id:
        out.append(HoldRef("buyer", contract.buyer_hold_id, contract.buyer_pays_fen))
    return out


def get_contract(session: Session, contract_id: int, *, buyer_ids: Collection[int] | None,
                 provider_ids: Collection[int] | None, lock: bool = False) -> Contract:
    """The contract when the caller is its buyer or provider (both None: anyone); else 404."""
    c = repository.contract(session, contract_id, lock=lock)
    visible = c is not None and (
        (buyer_ids is None and provider_ids is None)
        or c.buyer_org_id in (buyer_ids or ()) or c.provider_org_id in (provider_ids or ()))
    if c is None or not visible:
        raise NotFound(f"no contract {contract_id}", field="contract_id")
    return c


def cancellation_charge(contract: Contract, now: datetime) -> int:
    """What a cancellation at ``now`` costs: nothing before the start; after it, the hours
    begun at the unit price plus the offer's fee rate on the hours not yet begun."""
    return cancellation_parts(contract, now)[0]


def cancellation_parts(contract: Contract, now: datetime) -> tuple[int, int]:
    """(the cancellation charge, of it the fee for the hours never begun), in fen."""
    if now < contract.start_at:
        return 0, 0
    total = contract.gpu_hours // contract.gpus
    begun = min(total, math.ceil((now - contract.start_at) / HOUR))
    hourly = contract.unit_price_fen * contract.gpus
    fee = Decimal(contract.offer.cancel_fee_rate) * hourly * (total - begun)
    charge = min(hourly * begun + int(fee.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)),
                 contract.cost_fen)
    return charge, max(0, charge - hourly * begun)


def _settle_hold(session: Session, hold_id: str | None, amount: int, now: datetime) -> None:
    if hold_id is None:
        return
    if amount > 0:
        ledger.post(session, id=f"{hold_id}:cancel-post", pending_id=hold_id, amount=amount,
                    reason="contract cancellation charge", now=now)
    else:
        ledger.void(session, id=f"{hold_id}:cancel-void", pending_id=hold_id,
                    reason="contract cancelled", now=now)


def _holds_moved_on(session: Session, contract: Contract) -> bool:
    """Whether the contract's first holds are no longer pending: settlement posted a day's
    usage from them (and re-held the rest in its own chain), or they expired. Either way
    the market has nothing of its own to post or void: settlement closes the contract."""
    for hold_id in (contract.voucher_hold_id, contract.buyer_hold_id):
        stored = ledger_repo.transfer_by_id(session, hold_id) if hold_id else None
        if stored is not None and stored.hold_state is not HoldState.PENDING:
            return True
    return False


def cancel_contract(session: Session, *, contract_id: int, buyer_ids: Collection[int] | None,
                    now: datetime | None = None) -> Contract:
    """Cancel a reserved or running contract. Before the start both holds are voided;
    after it the charge (see ``cancellation_charge``) is the contract's final settlement
    (settlement splits it as the program says, see ``settlement_port``); without settlement
    loaded, it is posted from the holds in the contract's voucher/buyer proportion."""
    now = now or utcnow()
    c = get_contract(session, contract_id, buyer_ids=buyer_ids, provider_ids=None
                     if buyer_ids is None else (), lock=True)
    if c.state not in (ContractState.RESERVED, ContractState.RUNNING):
        raise Conflict(f"the contract is {c.state}", field="state")
    before = snapshot(c)
    charge, fee = cancellation_parts(c, now)
    if _holds_moved_on(session, c) or (now >= c.start_at and settlement_port.plugged_in()):
        # The cancellation is the contract's final settlement.
        settlement_port.final_bill(session, contract=c, charge_fen=charge, fee_fen=fee,
                                   now=now)
        return _cancelled(session, c, before, charge, now)
    from_voucher = 0 if not c.cost_fen else int(
        (Decimal(charge) * c.subsidy_fen / c.cost_fen).quantize(Decimal(1),
                                                                rounding=ROUND_HALF_EVEN))
    from_voucher = min(from_voucher, c.subsidy_fen)
    _settle_hold(session, c.voucher_hold_id, from_voucher, now)
    _settle_hold(session, c.buyer_hold_id, min(charge - from_voucher, buyer_hold_fen(session, c)),
                 now)
    return _cancelled(session, c, before, charge, now)


def _cancelled(session: Session, c: Contract, before: dict[str, object], charge: int,
               now: datetime) -> Contract:
    c.state, c.cancelled_at, c.cancel_charge_fen = ContractState.CANCELLED, now, charge
    session.flush()
    audit.record(session, action="contract.cancel", object_type="contract", object_id=c.id,
                 before=before, after=snapshot(c) | {"charge_fen": charge},
                 organisation_id=c.buyer_org_id)
    outbox.emit(session, "contract.cancelled", subject=("contract", c.id), orgs={
        "buyer": c.buyer_org_id, "provider": c.provider_org_id}, payload={
        "contract_id": c.id, "charge_fen": charge})
    return c


def advance_contracts(session: Session, *, now: datetime | None = None) -> int:
    """Move contracts whose start or end has passed: reserved -> running -> completed.
    Returns how many moved. Their holds stay for settlement to post."""
    now = now or utcnow()
    moved = 0
    for c in repository.contracts_due(session, now):
        before = str(c.state)
        if c.state == ContractState.RESERVED:
            c.state, c.running_at = ContractState.RUNNING, c.start_at
            place(session, c)  # which GPUs serve it, recorded as it starts
        if c.state == ContractState.RUNNING and c.end_at <= now:
            c.state, c.completed_at = ContractState.COMPLETED, c.end_at
        moved += 1
        audit.record(session, action="contract.state", object_type="contract",
                     object_id=c.id, before={"state": before}, after={"state": str(c.state)},
                     organisation_id=c.buyer_org_id)
        outbox.emit(session, f"contract.{c.state}", subject=("contract", c.id), orgs={
            "buyer": c.buyer_org_id, "provider": c.provider_org_id}, payload={
            "contract_id": c.id, "start_at": c.start_at, "end_at": c.end_at})
    session.flush()
    return moved
