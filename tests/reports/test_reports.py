"""Report figures against values computed by hand; scoping; pages and downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.errors import NotFound
from suanli.reports import service
from suanli.settlement import service as settlement
from tests.conftest import login
from tests.settlement.usage import use
from tests.settlement.world import World, build_world

# 8 GPUs for 24 h and for 12 h: 288 GPU-hours at 10.00 CNY, half from the voucher.
GPU_HOURS = Decimal("288.00")
ENERGY = Decimal("138.24")  # 288 GPU-h x 0.400 kW (H20) x PUE 1.20


@pytest.fixture
def world(db: Session, member: Callable[..., Any]) -> World:
    w = build_world(db, member)
    use(db, w, (0, 24, 8), (24, 36, 8))
    settlement.settle_period(db, period_end=w.day1)
    settlement.settle_period(db, period_end=w.day2)
    db.flush()
    return w


def test_program_report_by_hand(db: Session, world: World) -> None:
    (report,) = service.program_reports(db, {world.authority.org_id})
    m, d = report.money, report.delivery
    assert (m.committed, m.issued, m.held, m.spent, m.returned) == (
        world.program.budget_fen, 1_000_000_00, 0, 144_000, 0)
    assert d.gpu_hours == GPU_HOURS and d.by_hub == {"gs-qingyang": GPU_HOURS}
    assert d.by_operator == {"state": GPU_HOURS} and d.by_origin == {"foreign": GPU_HOURS}
    assert (d.spend_fen, d.spend_state_fen, d.state_share) == (288_000, 288_000, Decimal(1))
    assert d.energy_kwh == ENERGY and d.energy_by_side == {"west": ENERGY}
    assert d.startups_served == 1
    assert service.program_reports(db, {world.buyer.org_id}) == []
    with pytest.raises(NotFound):
        service.program_reports(db, {world.buyer.org_id}, world.program.id)


def test_market_report_counts_every_contract(db: Session, world: World,
                                             member: Callable[..., Any]) -> None:
    report = service.market_report(db)
    assert report.delivery.gpu_hours >= GPU_HOURS
    shanghai = [c for c in report.cities if c.city == "shanghai"]
    assert shanghai and shanghai[0].spent >= 144_000
    assert report.total.issued >= 1_000_000_00


def test_api_scoping(client: TestClient, world: World, member: Callable[..., Any]) -> None:
    own = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    other = member(Role.PROGRAM_ADMIN)
    auditor = member(Role.AUDITOR)
    mine = client.get("/api/v1/reports/programs", headers=own.headers).json()
    assert [r["money"]["program_id"] for r in mine] == [world.program.id]
    assert mine[0]["delivery"]["gpu_hours"] == "288.00"
    assert mine[0]["delivery"]["energy_kwh_by_side"] == {"west": "138.24"}
    assert mine[0]["money"]["spent_cny"] == "1440.00"
    assert client.get("/api/v1/reports/programs", headers=other.headers).json() == []
    assert client.get(f"/api/v1/reports/programs/{world.program.id}",
                      headers=other.headers).status_code == 404
    everything = client.get("/api/v1/reports/programs", headers=auditor.headers).json()
    assert world.program.id in [r["money"]["program_id"] for r in everything]
    market = client.get("/api/v1/reports/market", headers=auditor.headers)
    assert market.status_code == 200 and market.json()["delivery"]["startups_served"] >= 1
    assert client.get("/api/v1/reports/market", headers=own.headers).status_code == 403


def test_pages_and_downloads(client: TestClient, world: World,
                             member: Callable[..., Any]) -> None:
    own = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    login(client, own.user.username)
    index = client.get("/reports")
    assert index.status_code == 200 and "<svg" in index.text and "style=" not in index.text
    page = client.get(f"/reports/programs/{world.program.id}")
    assert page.status_code == 200 and 'id="money"' in page.text
    book = load_workbook(io.BytesIO(client.get(
        f"/reports/programs/{world.program.id}/download?format=xlsx").content))
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["gpu_hours"] == 288 and summary["startups_served"] == 1
    text = client.get(f"/reports/programs/{world.program.id}/download?format=csv")
    assert "gs-qingyang,288.00" in text.content.decode("utf-8-sig")
    assert client.get("/reports/market").status_code == 403
    auditor = member(Role.AUDITOR)
    login(client, auditor.user.username)
    market = client.get("/reports/market")
    assert market.status_code == 200 and "<td>Shanghai</td>" in market.text  # by name
    assert client.get("/reports/market/download?format=csv").status_code == 200
