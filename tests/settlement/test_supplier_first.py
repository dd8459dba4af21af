"""`supplier_first` (Qingyang): the subsidy goes to the provider, who bills the buyer net;
the claim is the provider's, never the buyer's, and approving it pays the provider."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.programs.enums import RedemptionMode
from suanli.settlement import views
from suanli.settlement.models import ClaimStatus
from tests.settlement.test_claims import decide, posted, settle_both_days
from tests.settlement.world import build_world, org_maker


def test_the_supplier_is_paid_the_subsidy_and_the_buyer_pays_net(db: Session) -> None:
    world = build_world(db, org_maker(db), mode=RedemptionMode.SUPPLIER_FIRST)
    first, second = settle_both_days(db, world)
    assert {first.claimant_org_id, second.claimant_org_id} == {world.provider.org_id}
    assert (first.mode, first.amount_fen, second.amount_fen) == ("supplier_first", 96_000,
                                                                 48_000)
    cash = f"buyer-cash:{world.buyer.org_slug}"
    payout = f"provider-payout:{world.provider.org_slug}"
    assert posted(db, cash)[0] == 144_000  # the buyer paid the charges less the subsidy
    assert posted(db, payout) == (0, 144_000)
    decide(db, world, first, True)
    decide(db, world, second, True)
    assert (first.status, second.status) == (ClaimStatus.APPROVED, ClaimStatus.APPROVED)
    assert posted(db, payout) == (0, 288_000)  # every charge, the subsidy included
    assert posted(db, cash)[1] == 10_000_000  # nothing reimbursed to the buyer
    voucher = ledger.balance(db, world.voucher.account_code)
    assert voucher.debits_posted == 144_000 and voucher.debits_pending == 0
    statement = views.statement_view(db, world.provider.org_id, world.day1, world.day2)
    assert statement.paid() == 288_000
    assert verify(db).ok
