"""Claims and payouts of a co-funded program: the voucher's money came from the funders by
share, what it paid shows as each funder's paid share, and a clawback of the rest returns
each funder exactly what it put in less its part of what was spent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.ledger import service as ledger
from suanli.ledger.verify import verify
from suanli.market import contracts
from suanli.programs import views
from suanli.vouchers import service as vouchers
from suanli.vouchers import totals
from tests.settlement.test_claims import decide, settle_both_days
from tests.settlement.world import build_world, org_maker

HENAN = [{"name": "Henan Province", "label": "province", "share": "0.5"},
         {"name": "Zhengzhou City", "label": "city", "share": "0.5"}]
FACE = 1_000_000_01  # an odd fen, so the split is not trivial


def funder(db: Session, program_id: int, n: int) -> int:
    return ledger.balance(db, f"program-funder:{program_id}:{n}").available


def test_claims_pay_out_of_a_voucher_funded_by_share(db: Session) -> None:
    totals.register()
    world = build_world(db, org_maker(db), voucher_fen=FACE, funders=HENAN,
                        voucher_max_fen=2 * FACE)
    pid, budget = world.program.id, world.program.budget_fen
    assert (funder(db, pid, 1), funder(db, pid, 2)) == (
        budget // 2 - 50_000_001, budget // 2 - 50_000_000)
    first, second = settle_both_days(db, world)
    decide(db, world, first, True)
    decide(db, world, second, True)
    payout = ledger.balance(db, f"provider-payout:{world.provider.org_slug}")
    assert payout.credits_posted == 288_000  # buyer 144,000 and the voucher 144,000
    (view,) = views.budgets(db, [world.program])
    spent = view.totals.spent
    assert spent == 144_000
    assert [f.paid for f in view.funders] == [72_000, 72_000]
    assert [f.committed for f in view.funders] == [50_000_001, 50_000_000]

    vouchers.clawback(db, voucher_id=world.voucher.id, reason="test", user_id=None)
    # Each funder is back to its budget less its part of what the voucher spent.
    assert (funder(db, pid, 1), funder(db, pid, 2)) == (budget // 2 - 72_000,
                                                        budget // 2 - 72_000)
    (view,) = views.budgets(db, [world.program])
    assert [f.committed for f in view.funders] == [72_000, 72_000]
    assert sum(f.funded for f in view.funders) == budget
    assert verify(db).ok, verify(db).problem


def test_money_released_after_a_clawback_goes_back_to_each_funder(db: Session) -> None:
    totals.register()
    world = build_world(db, org_maker(db), voucher_fen=FACE, funders=HENAN,
                        voucher_max_fen=2 * FACE, days_ago=-2)  # the contract starts later
    pid, budget = world.program.id, world.program.budget_fen
    held = ledger.balance(db, world.voucher.account_code).held
    assert held > 0
    vouchers.clawback(db, voucher_id=world.voucher.id, reason="test", user_id=None)
    back = FACE - held
    assert funder(db, pid, 1) + funder(db, pid, 2) == budget - FACE + back
    contracts.cancel_contract(db, contract_id=world.contract.id, buyer_ids=None)
    report = vouchers.expire_due(db)
    assert report.residual_returned_fen == held
    # Two returns, each split by share, add up to exactly what each funder put in.
    assert (funder(db, pid, 1), funder(db, pid, 2)) == (budget // 2, budget // 2)
    (view,) = views.budgets(db, [world.program])
    assert [f.committed for f in view.funders] == [0, 0]
    assert verify(db).ok, verify(db).problem
