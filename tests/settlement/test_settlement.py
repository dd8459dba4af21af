"""Settling days and contract ends: shares, chains of holds, idempotence, the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.errors import Conflict, NotFound
from suanli.ledger import service as ledger
from suanli.ledger.models import Transfer
from suanli.ledger.verify import verify
from suanli.metering import service as metering
from suanli.metering.models import UsageRecord
from suanli.outbox.models import OutboxEvent
from suanli.settlement import repository as repo
from suanli.settlement import service, worker
from suanli.settlement.charges import period_bounds
from suanli.settlement.models import ContractSettlement, Invoice
from tests.settlement.usage import use
from tests.settlement.world import World, build_world, org_maker


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db, org_maker(db))


def transfers(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Transfer)).scalar_one())


def bal(db: Session, code: str) -> tuple[int, int, int, int]:
    b = ledger.balance(db, code)
    return b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted


def test_a_day_then_the_end(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8), (24, 36, 8))
    voucher, cash = world.voucher.account_code, f"buyer-cash:{world.buyer.org_slug}"
    receivable = f"provider-receivable:{world.provider.org_slug}"
    payout = f"provider-payout:{world.provider.org_slug}"

    first = service.settle_period(db, period_end=world.day1)
    assert (first.settled, first.final, first.charge_fen) == (1, 0, 192_000)
    row = repo.settlement(db, world.contract.id, world.day1)
    assert row is not None
    assert (row.charge_fen, row.voucher_fen, row.buyer_fen, row.uncovered_fen) == (
        192_000, 96_000, 96_000, 0)
    assert bal(db, voucher)[:2] == (96_000, 96_000)  # the rest re-held, the day posted
    assert bal(db, cash)[:2] == (96_000, 96_000)
    assert bal(db, receivable)[3] == 192_000 and bal(db, receivable)[1] == 96_000
    assert bal(db, payout)[3] == 96_000

    final = service.settle_period(db, period_end=world.day2)
    assert (final.settled, final.final, final.charge_fen) == (1, 1, 96_000)
    # At the end the remainders are released: nothing stays pending on either payer.
    assert bal(db, voucher)[:2] == (0, 144_000)
    assert bal(db, cash)[:2] == (0, 144_000)
    assert bal(db, payout)[3] == 144_000
    total = db.execute(select(func.count()).select_from(UsageRecord)).scalar_one()
    assert total == 2
    assert metering.unsettled(db, contract_id=world.contract.id, until=None).records == 0
    settled = db.execute(select(ContractSettlement.records).order_by(
        ContractSettlement.period)).scalars().all()
    assert settled == [1, 1]
    assert verify(db).ok, verify(db).problem


def test_settling_a_day_twice_changes_nothing(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8))
    service.settle_period(db, period_end=world.day1)
    before = (transfers(db), db.execute(select(func.count()).select_from(
        ContractSettlement)).scalar_one(), bal(db, world.voucher.account_code))
    again = service.settle_period(db, period_end=world.day1)
    assert (again.settled, again.unchanged) == (0, 1)
    after = (transfers(db), db.execute(select(func.count()).select_from(
        ContractSettlement)).scalar_one(), bal(db, world.voucher.account_code))
    assert before == after


def test_late_usage_rolls_into_the_next_day(db: Session, world: World) -> None:
    use(db, world, (0, 10, 8))
    service.settle_period(db, period_end=world.day1)
    use(db, world, (10, 20, 8), ref="late")  # reported after day 1 was settled
    service.settle_period(db, period_end=world.day1)  # changes nothing
    assert repo.settlement(db, world.contract.id, world.day1).charge_fen == 80_000  # type: ignore[union-attr]
    service.settle_period(db, period_end=world.day2)
    day2 = repo.settlement(db, world.contract.id, world.day2)
    assert day2 is not None and day2.final and day2.charge_fen == 80_000


def test_a_day_without_usage_writes_nothing_until_the_end(db: Session, world: World) -> None:
    assert service.settle_period(db, period_end=world.day1).settled == 0
    assert transfers(db) > 0 and repo.settlement(db, world.contract.id, world.day1) is None
    end = service.settle_period(db, period_end=world.day2)
    assert (end.settled, end.final, end.charge_fen) == (1, 1, 0)
    assert bal(db, world.voucher.account_code)[:2] == (0, 0)  # all released
    invoice = db.execute(select(Invoice)).scalars().one()
    assert invoice.number.startswith(f"INV-{world.day2:%Y%m%d}-")


@pytest.mark.parametrize("swept", [False, True])
def test_a_lapsed_hold_is_held_again_not_left_uncovered(db: Session, world: World,
                                                        swept: bool) -> None:
    use(db, world, (0, 24, 8))
    late = world.contract.end_at + timedelta(days=15)  # past the holds' 14 days of grace
    if swept:
        assert ledger.expire_holds(db, now=late) == 2
    row, new = service.settle_contract(db, contract=world.contract, period=world.day1,
                                       final=True, until=None, now=late)
    assert new and row is not None
    assert (row.voucher_fen, row.buyer_fen, row.uncovered_fen) == (96_000, 96_000, 0)
    assert bal(db, world.voucher.account_code)[:2] == (0, 96_000)  # the rest released
    assert verify(db).ok, verify(db).problem


def test_a_lapsed_hold_the_payer_cannot_cover_again_fails_loudly(
        db: Session, world: World, sessions: sessionmaker[Session]) -> None:
    use(db, world, (0, 24, 8))
    late = world.contract.end_at + timedelta(days=15)
    ledger.expire_holds(db, now=late)
    cash, bank = (f"buyer-cash:{world.buyer.org_slug}",
                  f"buyer-deposit:{world.buyer.org_slug}")
    ledger.transfer(db, id="withdrawal", debit=cash, credit=bank,
                    amount=ledger.balance(db, cash).available, reason="refund")
    before = transfers(db)
    report = service.settle_period(db, period_end=world.day2, now=late)
    assert report.settled == 0 and list(report.failed) == [world.contract.id]
    reason = report.failed[world.contract.id]
    assert "buyer hold of 1920.00 CNY lapsed" in reason and cash in reason
    assert repo.settlement(db, world.contract.id, world.day2) is None
    assert transfers(db) == before  # nothing written for it, nothing billed as uncovered
    # The worker settles the others and tells the platform.
    db.commit()
    worker.settle_yesterday(sessions, now=period_bounds(world.day2)[1] + timedelta(hours=1))
    failed = db.execute(select(OutboxEvent).where(
        OutboxEvent.kind == "settlement.run_failed")).scalars().one()
    assert "lapsed" in failed.payload["error"]


def test_settle_contract_end(db: Session, world: World) -> None:
    use(db, world, (0, 48, 8))
    done = service.settle_contract_end(db, contract_id=world.contract.id)
    assert done is not None and done.final and done.period == world.day2
    assert done.charge_fen == 384_000 and done.voucher_fen == 192_000
    assert service.settle_contract_end(db, contract_id=world.contract.id) == done
    with pytest.raises(NotFound):
        service.settle_contract_end(db, contract_id=10**9)


def test_a_running_contract_cannot_be_settled_at_its_end(db: Session) -> None:
    world = build_world(db, org_maker(db), days_ago=1)  # ends at the end of today
    with pytest.raises(Conflict) as caught:
        service.settle_contract_end(db, contract_id=world.contract.id)
    assert caught.value.field == "contract_id"


def test_a_lagging_run_settles_on_the_contracts_last_day(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8), (24, 36, 8))
    late = service.settle_period(db, period_end=world.day2 + timedelta(days=1))
    assert (late.settled, late.final, late.charge_fen) == (1, 1, 288_000)
    assert repo.settlement(db, world.contract.id, world.day2) is not None
    assert service.settle_period(db, period_end=world.day2).settled == 0


def test_the_workers_job_settles_yesterday(db: Session, world: World) -> None:
    use(db, world, (0, 24, 8))
    at = period_bounds(world.day2)[1] + timedelta(hours=3)  # early on the day after day 2
    report = service.settle_due(db, now=at)
    assert report.period == world.day2 and (report.settled, report.final) == (1, 1)
    assert service.settle_due(db, now=at).settled == 0
