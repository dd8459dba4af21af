"""Reminders caused by time: each fires once, however often the job runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth.roles import Role
from suanli.notifications import reminders, sender
from tests.notifications.helpers import events, inbox_rows
from tests.settlement.world import build_world


def fired(db: Session) -> list[tuple[str, Any]]:
    return [(e.kind, e.payload.get("days")) for e in events(db)
            if e.kind in {"voucher.expiring", "contract.starting_soon", "voucher.low_balance",
                          "program.budget_low"}]


def test_voucher_expiry_warns_30_and_7_days_before_once_each(
        db: Session, member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    end = world.voucher.valid_until
    for days_left in (40, 29, 25, 29, 6.5, 6, 1):
        reminders.emit_due(db, now=end - timedelta(days=days_left))
    assert fired(db) == [("voucher.expiring", 30), ("voucher.expiring", 7)]
    reminders.emit_due(db, now=end + timedelta(seconds=1))  # expired: the sweep tells
    assert len(fired(db)) == 2


def test_a_short_voucher_gets_only_the_7_day_warning(
        db: Session, member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    reminders.emit_due(db, now=world.voucher.valid_until - timedelta(days=3))
    reminders.emit_due(db, now=world.voucher.valid_until - timedelta(days=2))
    assert fired(db) == [("voucher.expiring", 7)]


def test_a_contract_starting_within_a_day_is_announced_once_to_both_sides(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    start = world.contract.start_at
    for hours_before in (30, 23, 5, 1):
        reminders.emit_due(db, now=start - timedelta(hours=hours_before))
    assert [k for k, _ in fired(db)] == ["contract.starting_soon"]
    db.commit()
    sender.dispatch_all(sessions, settings=sender.notify_settings())
    got = {(n.user_id, n.kind) for n in inbox_rows(db)}
    assert {(world.buyer.user.id, "contract.starting_soon"),
            (world.provider.user.id, "contract.starting_soon")} <= got


def test_low_balance_and_budget_alerts_fire_once_per_threshold(
        client: TestClient, db: Session, member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    bureau = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    db.commit()
    voucher_url = f"/api/v1/notifications/alerts/vouchers/{world.voucher.id}"
    set_low = client.put(voucher_url, headers=world.buyer.headers,
                         json={"threshold_cny": "999000.00"})
    assert set_low.status_code == 200, set_low.text
    assert client.put(voucher_url, headers=world.provider.headers,
                      json={"threshold_cny": "1.00"}).status_code == 403
    budget_url = f"/api/v1/notifications/alerts/programs/{world.program.id}"
    assert client.put(budget_url, headers=bureau.headers,
                      json={"threshold_cny": "99000000.00"}).status_code == 200
    assert client.put(budget_url, headers=world.buyer.headers,
                      json={"threshold_cny": "1.00"}).status_code == 403
    watched = client.get("/api/v1/notifications/alerts", headers=world.buyer.headers).json()
    assert [(w["kind"], w["threshold_cny"]) for w in watched] == [("voucher", "999000.00")]
    for _ in range(3):
        reminders.emit_due(db)
    assert sorted(k for k, _ in fired(db)) == ["program.budget_low", "voucher.low_balance"]
    low = next(e for e in events(db) if e.kind == "voucher.low_balance")
    assert low.payload["threshold_fen"] == 999_000_00
    assert low.payload["available_fen"] < 999_000_00
    client.put(voucher_url, headers=world.buyer.headers, json={"threshold_cny": "999500.00"})
    reminders.emit_due(db)
    assert [k for k, _ in fired(db)].count("voucher.low_balance") == 2  # a new threshold
    client.put(voucher_url, headers=world.buyer.headers, json={"threshold_cny": None})
    reminders.emit_due(db)
    assert [k for k, _ in fired(db)].count("voucher.low_balance") == 2
