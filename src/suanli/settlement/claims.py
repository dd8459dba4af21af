"""Reimbursement claims: the voucher share of a settlement, claimed from the city.

A claim bundles its evidence (the contract's terms, the usage records billed, the invoice)
and waits for the program's authority. Who claims, and where approved money goes, follows
the program's redemption mode:

* `provider_claims`: the provider claims; the share already sits in the provider's
  receivable (posted from the voucher at settlement). Approval pays it out
  (receivable -> provider payout); rejection returns it to the voucher.
* `buyer_reimbursed`: the buyer claims, having paid the whole charge; the share is still
  reserved in the contract's voucher chain. Approval posts it from the voucher and passes it
  to the buyer's cash (the reimbursement); rejection releases the reservation.

Transfer ids are `claim:<id>:...`, so a decision is written once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.posting import TransferSpec
from suanli.market.models import Contract
from suanli.programs.enums import RedemptionMode
from suanli.programs.models import Program
from suanli.settlement import chains
from suanli.settlement import repository as repo
from suanli.settlement.accounts import buyer_cash, payout_account
from suanli.settlement.models import (
    Claim,
    ClaimStatus,
    ContractSettlement,
    HoldChain,
    Invoice,
    Side,
)

MAX_REASON = 1000


def open_claim(session: Session, *, settlement: ContractSettlement, contract: Contract,
               program: Program, invoice: Invoice, records: int, record_ids: list[int],
               extra: dict[str, Any] | None = None) -> Claim:
    """The claim for a settlement's voucher share, with its evidence: the number of usage
    records billed and the ids of the first of them (`record_ids`: at most about a
    thousand; a day can bill hundreds of thousands), and `extra` (a cancellation's terms
    and the contract's delivered usage). It is of the settlement's kind: usage,
    cancellation, or an adjustment for usage reported late."""
    mode = RedemptionMode(program.redemption_mode)
    claimant = (contract.buyer_org_id if mode is RedemptionMode.BUYER_REIMBURSED
                else contract.provider_org_id)
    claim = Claim(settlement_id=settlement.id, contract_id=contract.id, program_id=program.id,
                  voucher_id=contract.voucher_id or 0, authority_org_id=program.authority_org_id,
                  claimant_org_id=claimant, mode=str(mode), amount_fen=settlement.voucher_fen,
                  status=ClaimStatus.SUBMITTED, transfer_ids=[], kind=settlement.kind,
                  evidence=_evidence(contract, settlement, invoice, records, record_ids)
                  | (extra or {}))
    repo.add(session, claim)
    audit.record(session, action="claim.submit", object_type="claim", object_id=claim.id,
                 after={"amount_fen": claim.amount_fen, "mode": claim.mode,
                        "kind": str(claim.kind),
                        "claimant_org_id": claimant, "settlement_id": settlement.id},
                 organisation_id=claimant)
    outbox.emit(session, "claim.submitted", subject=("claim", claim.id), orgs={
        "claimant": claimant, "authority": program.authority_org_id}, payload={
        "claim_id": claim.id, "contract_id": contract.id, "amount_fen": claim.amount_fen})
    return claim


def _evidence(contract: Contract, settlement: ContractSettlement, invoice: Invoice,
              records: int, record_ids: list[int]) -> dict[str, Any]:
    return {
        "kind": str(settlement.kind),
        "contract": {"id": contract.id, "buyer_org_id": contract.buyer_org_id,
                     "provider_org_id": contract.provider_org_id, "gpus": contract.gpus,
                     "start_at": contract.start_at.isoformat(),
                     "end_at": contract.end_at.isoformat(),
                     "unit_price_fen": contract.unit_price_fen,
                     "subsidy_rate": str(contract.subsidy_rate), "cost_fen": contract.cost_fen,
                     "voucher_id": contract.voucher_id},
        "usage": {"records": records, "record_ids": record_ids,
                  "billable_gpu_seconds": settlement.gpu_seconds},
        "invoice": {"number": invoice.number, "period": invoice.period.isoformat(),
                    "charge_fen": settlement.charge_fen, "voucher_fen": settlement.voucher_fen,
                    "buyer_fen": settlement.buyer_fen},
    }


def decide(session: Session, *, claim_id: int, approve: bool, reason: str | None,
           authority_ids: Collection[int], user_id: int | None) -> Claim:
    """Approve (money moves) or reject (with a reason) a claim awaiting a decision.

    Only the program's own authority decides; anyone else is told there is no such claim.
    """
    claim = repo.claim(session, claim_id, lock=True)
    if claim is None or claim.authority_org_id not in authority_ids:
        raise NotFound(f"no claim {claim_id} awaiting your decision", field="claim_id")
    text = (reason or "").strip()
    if not approve and not text:
        raise ValidationFailed("a rejection needs a reason", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"at most {MAX_REASON} characters", field="reason")
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(f"the claim was already {claim.status}", field="claim_id")
    contract = repo.contract(session, claim.contract_id)
    assert contract is not None
    chain = chains.head(session, contract, Side.VOUCHER)
    assert chain is not None
    specs = (_approval(session, claim, contract, chain) if approve
             else _rejection(claim, chain))
    ledger.batch(session, specs)
    before = {"status": str(claim.status)}
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.reason = text or None
    claim.decided_by_user_id, claim.decided_at = user_id, utcnow()
    claim.transfer_ids = [s.id for s in specs]
    session.flush()
    audit.record(session, action="claim.approve" if approve else "claim.reject",
                 object_type="claim", object_id=claim.id, before=before,
                 after={"status": str(claim.status), "reason": claim.reason,
                        "transfers": claim.transfer_ids},
                 organisation_id=claim.authority_org_id)
    outbox.emit(session, f"claim.{claim.status}", subject=("claim", claim.id), orgs={
        "claimant": claim.claimant_org_id, "authority": claim.authority_org_id}, payload={
        "claim_id": claim.id, "amount_fen": claim.amount_fen, "reason": claim.reason})
    return claim


def _approval(session: Session, claim: Claim, contract: Contract, chain: HoldChain
              ) -> list[TransferSpec]:
    tag, amount = f"claim:{claim.id}", claim.amount_fen
    if claim.mode == RedemptionMode.PROVIDER_CLAIMS:
        return [TransferSpec.transfer(id=f"{tag}:payout", debit=chain.credit,
                                      credit=payout_account(session, contract.provider_org_id),
                                      amount=amount, reason="claim-payout", ref=tag)]
    chain.earmarked -= amount
    specs = list(chains.step(chain, amount=amount, keep=chain.remaining - amount,
                             prefix=f"{tag}:voucher", reason="claim-reimburse", ref=tag,
                             lasting=True))
    cash = buyer_cash(session, contract.buyer_org_id)
    if chain.credit != cash:
        specs.append(TransferSpec.transfer(id=f"{tag}:reimburse", debit=chain.credit,
                                           credit=cash, amount=amount,
                                           reason="claim-reimburse", ref=tag))
    return specs


def _rejection(claim: Claim, chain: HoldChain) -> list[TransferSpec]:
    tag, amount = f"claim:{claim.id}", claim.amount_fen
    if claim.mode == RedemptionMode.PROVIDER_CLAIMS:
        return [TransferSpec.transfer(id=f"{tag}:return", debit=chain.credit,
                                      credit=chain.debit, amount=amount,
                                      reason="claim-rejected", ref=tag)]
    chain.earmarked -= amount
    return list(chains.step(chain, amount=0, keep=chain.remaining - amount,
                            prefix=f"{tag}:voucher", reason="claim-rejected", ref=tag,
                            lasting=True))
