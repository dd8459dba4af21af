"""The outbox: an event lives and dies with the transaction of its change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from suanli import outbox
from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.outbox import service
from suanli.outbox.models import OutboxEvent
from suanli.vouchers import service as vouchers
from suanli.vouchers.models import VoucherStatus
from tests.market.helpers import issue_voucher


def _events(db: Session) -> list[OutboxEvent]:
    db.expire_all()
    return list(db.execute(select(OutboxEvent).order_by(OutboxEvent.id)).scalars())


def test_a_change_that_rolls_back_leaves_no_event(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    voucher = issue_voucher(db, member, buyer.org_id)
    before = [e.kind for e in _events(db)]
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        vouchers.clawback(session, voucher_id=voucher.id, reason="fraud", user_id=None)
        session.flush()
        assert "voucher.clawed_back" in [e.kind for e in _events(session)]  # written ...
        raise RuntimeError("the request failed after the change")
    assert [e.kind for e in _events(db)] == before  # ... and gone with the change
    db.refresh(voucher)
    assert voucher.status == VoucherStatus.ACTIVE
    with unit_of_work(sessions) as session:
        vouchers.clawback(session, voucher_id=voucher.id, reason="fraud", user_id=None)
    assert [e.kind for e in _events(db)] == [*before, "voucher.clawed_back"]


def test_an_event_keeps_its_facts_as_json(db: Session) -> None:
    event = outbox.emit(db, "test.happened", subject=("thing", 7),
                        orgs={"buyer": 3, "provider": None}, payload={
                            "at": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                            "day": date(2026, 1, 2), "rate": Decimal("0.30"),
                            "status": VoucherStatus.ACTIVE, "ids": (1, 2)})
    assert event is not None
    db.commit()
    (stored,) = _events(db)
    assert (stored.kind, stored.subject_type, stored.subject_id) == ("test.happened", "thing",
                                                                     "7")
    assert stored.orgs == {"buyer": 3}
    assert stored.payload == {"at": "2026-01-02T03:04:00+00:00", "day": "2026-01-02",
                              "rate": "0.30", "status": "active", "ids": [1, 2]}
    assert len(stored.event_id) == 32 and stored.dispatched_at is None


def test_a_dedup_key_records_an_event_once(db: Session) -> None:
    first = outbox.emit(db, "voucher.expiring", subject=("voucher", 1), dedup_key="k:1")
    db.commit()
    again = outbox.emit(db, "voucher.expiring", subject=("voucher", 1), dedup_key="k:1")
    db.commit()
    assert first is not None and again is None
    assert len(_events(db)) == 1


def test_readers_take_pending_events_once(db: Session) -> None:
    for n in range(3):
        outbox.emit(db, "test.happened", subject=("thing", n))
    db.commit()
    taken = service.pending(db, limit=2)
    assert [e.subject_id for e in taken] == ["0", "1"]
    service.mark_dispatched(db, [e.id for e in taken])
    db.commit()
    assert [e.subject_id for e in service.pending(db, limit=10)] == ["2"]
