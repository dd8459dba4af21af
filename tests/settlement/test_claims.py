"""Reimbursement claims: evidence, the authority's decision, payouts, both modes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs.enums import RedemptionMode
from suanli.settlement import claims, service
from suanli.settlement.models import Claim, ClaimStatus
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker


def all_claims(db: Session) -> list[Claim]:
    return list(db.execute(select(Claim).order_by(Claim.id)).scalars())


def settle_both_days(db: Session, world: World) -> list[Claim]:
    use(db, world, (0, 24, 8), (24, 36, 8))
    service.settle_period(db, period_end=world.day1)
    service.settle_period(db, period_end=world.day2)
    return all_claims(db)


def decide(db: Session, world: World, claim: Claim, approve: bool, reason: str | None = None,
           ) -> Claim:
    return claims.decide(db, claim_id=claim.id, approve=approve, reason=reason,
                         authority_ids={world.authority.org_id}, user_id=None)


def posted(db: Session, code: str) -> tuple[int, int]:
    b = ledger.balance(db, code)
    return b.debits_posted, b.credits_posted


def test_provider_claims(db: Session) -> None:
    world = build_world(db, org_maker(db))
    first, second = settle_both_days(db, world)
    assert (first.amount_fen, second.amount_fen) == (96_000, 48_000)
    assert first.claimant_org_id == world.provider.org_id
    assert first.authority_org_id == world.authority.org_id
    evidence = first.evidence
    assert evidence["contract"]["id"] == world.contract.id
    assert evidence["usage"]["records"] == 1 and len(evidence["usage"]["record_ids"]) == 1
    assert evidence["invoice"]["number"].startswith("INV-")
    payout = f"provider-payout:{world.provider.org_slug}"
    assert posted(db, payout) == (0, 144_000)  # the buyers' shares

    decide(db, world, first, True)
    assert first.status == ClaimStatus.APPROVED
    assert posted(db, payout) == (0, 240_000)
    decide(db, world, second, False, "usage logs incomplete for 2 nodes")
    assert second.status == ClaimStatus.REJECTED and second.reason
    # The rejected share goes back to the voucher.
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_posted, voucher.credits_posted) == (144_000, 1_000_000_00 + 48_000)
    assert verify(db).ok

    with pytest.raises(Conflict):
        decide(db, world, first, False, "again")


def test_buyer_reimbursed(db: Session) -> None:
    world = build_world(db, org_maker(db), mode=RedemptionMode.BUYER_REIMBURSED)
    first, second = settle_both_days(db, world)
    assert first.claimant_org_id == world.buyer.org_id
    assert (first.amount_fen, second.amount_fen) == (96_000, 48_000)
    cash = f"buyer-cash:{world.buyer.org_slug}"
    # The buyer paid every charge in full (its hold, then its cash); the voucher paid nothing
    # yet but still reserves the two claims.
    assert posted(db, cash) == (288_000, 10_000_000)
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_pending, voucher.debits_posted) == (144_000, 0)
    assert posted(db, f"provider-payout:{world.provider.org_slug}") == (0, 288_000)

    decide(db, world, first, True)
    assert posted(db, cash) == (288_000, 10_000_000 + 96_000)  # reimbursed
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_pending, voucher.debits_posted) == (48_000, 96_000)
    decide(db, world, second, False, "not eligible: storage costs")
    voucher = ledger.balance(db, world.voucher.account_code)
    assert (voucher.debits_pending, voucher.debits_posted) == (0, 96_000)
    assert verify(db).ok


def test_only_the_programs_authority_decides(db: Session) -> None:
    world = build_world(db, org_maker(db))
    first, _ = settle_both_days(db, world)
    other = org_maker(db)(Role.PROGRAM_ADMIN)
    with pytest.raises(NotFound):
        claims.decide(db, claim_id=first.id, approve=True, reason=None,
                      authority_ids={other.org_id}, user_id=None)
    with pytest.raises(ValidationFailed) as caught:
        decide(db, world, first, False, "   ")
    assert caught.value.field == "reason"
    with pytest.raises(ValidationFailed):
        decide(db, world, first, False, "x" * 1001)
    assert first.status == ClaimStatus.SUBMITTED


def test_no_voucher_no_claim(db: Session) -> None:
    world = build_world(db, org_maker(db), rate_state_bp=0, rate_commercial_bp=0,
                        domestic_bonus_bp=0, max_rate_bp=0)
    assert world.contract.voucher_id is None and world.contract.subsidy_fen == 0
    assert settle_both_days(db, world) == []
    assert posted(db, f"buyer-cash:{world.buyer.org_slug}")[0] == 288_000
