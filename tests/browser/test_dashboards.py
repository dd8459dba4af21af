"""Each role's dashboard in a real browser, its figures checked against the database.

The expected figures are computed here with queries of their own, not through the
dashboards' service, so a wrong aggregate in either shows up as a difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.applications.models import Application
from suanli.audit.models import AuditRecord
from suanli.auth.models import Organisation
from suanli.catalog.models import Hub
from suanli.demo.build import USERS
from suanli.kit.db import make_engine, make_sessionmaker, reader
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger.models import Account, Transfer
from suanli.market.models import Contract, Offer, Order
from suanli.programs.models import Program
from suanli.providers.models import Cluster, ComplianceCase, DataCentre
from suanli.vouchers.models import Voucher
from tests.browser.conftest import follow, login_as

DRIFT_S = 300  # the page and these queries see "now" a little apart


@pytest.fixture
def db(demo_database: str) -> Iterator[Session]:
    engine = make_engine(demo_database)
    # Read-only and deferred: a write lock held here would stall the live server's writes.
    session = make_sessionmaker(reader(engine))()
    yield session
    session.close()
    engine.dispose()


def _figure(page: Any, test_id: str, scope: Any = None) -> str:
    return str((scope or page).locator(f"[data-testid={test_id}]").first.inner_text()).strip()


def _count(db: Session, stmt: Any) -> int:
    return int(db.execute(stmt).scalar_one())


def test_the_authority_sees_its_programs_figures(page: Any, db: Session) -> None:
    login_as(page, "bureau")
    cards = page.locator("[data-testid=dash-program]")
    authority = db.execute(select(Organisation).where(Organisation.slug == "sh-eitc")).scalar_one()
    programs = list(db.execute(select(Program).where(
        Program.authority_org_id == authority.id)).scalars())
    assert cards.count() == len(programs) >= 1
    assert page.locator("[data-testid=dash-market], [data-testid=dash-compliance]").count() == 0
    for program in programs:
        card = page.locator(f"[data-testid=dash-program][data-program='{program.id}']")
        apps = dict(db.execute(select(Application.status, func.count())
                               .where(Application.program_id == program.id)
                               .group_by(Application.status)).all())
        issued = _count(db, select(func.coalesce(func.sum(Voucher.face_value_fen), 0))
                        .where(Voucher.program_id == program.id))
        active = _count(db, select(func.count()).select_from(Voucher).where(
            Voucher.program_id == program.id, Voucher.status == "active"))
        assert _figure(page, "dash-committed", card) == format_cny_grouped(program.budget_fen)
        assert _figure(page, "dash-issued", card) == format_cny_grouped(issued)
        assert _figure(page, "dash-waiting", card) == str(
            apps.get("submitted", 0) + apps.get("needs_review", 0))
        assert _figure(page, "dash-granted", card) == str(
            apps.get("auto_approved", 0) + apps.get("approved", 0)
            + apps.get("voucher_issued", 0))
        assert _figure(page, "dash-rejected", card) == str(apps.get("rejected", 0))
        assert _figure(page, "dash-vouchers", card) == str(active)
        assert card.locator("svg.chart").count() == 2
    shanghai = programs[0]
    assert _figure(page, "dash-issued") != "0.00", shanghai.name  # the demo issued vouchers


def _expected_utilisation(db: Session, now: datetime) -> dict[str, tuple[float, float, int]]:
    """Hub -> (listed GPU-hours, booked GPU-hours, GPUs involved) around `now`."""
    start, end = now - timedelta(days=7), now + timedelta(days=7)
    out: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    offers = db.execute(select(DataCentre.hub_id, Offer.gpus, Offer.start_at, Offer.end_at,
                               Offer.withdrawn_at)
                        .join(Cluster, Offer.cluster_id == Cluster.id)
                        .join(DataCentre, Cluster.data_centre_id == DataCentre.id)).all()
    for hub, gpus, s, e, withdrawn in offers:
        e = min(e, withdrawn) if withdrawn else e
        overlap = (min(e, end) - max(s, start)).total_seconds()
        if overlap > 0:
            out[hub or "city"][0] += gpus * overlap / 3600
            out[hub or "city"][2] += gpus
    contracts = db.execute(select(DataCentre.hub_id, Contract.gpus, Contract.start_at,
                                  Contract.end_at, Contract.state)
                           .join(Offer, Contract.offer_id == Offer.id)
                           .join(Cluster, Offer.cluster_id == Cluster.id)
                           .join(DataCentre, Cluster.data_centre_id == DataCentre.id)).all()
    for hub, gpus, s, e, state in contracts:
        overlap = (min(e, end) - max(s, start)).total_seconds()
        if overlap > 0 and state != "cancelled":
            out[hub or "city"][1] += gpus * overlap / 3600
            out[hub or "city"][2] += gpus
    return {hub: (v[0], v[1], int(v[2])) for hub, v in out.items()}


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_the_platform_admin_sees_volume_prices_and_utilisation(page: Any, db: Session) -> None:
    login_as(page, "admin")
    expect(page.locator("[data-testid=dash-market]")).to_be_visible()
    now = utcnow()
    contracts = db.execute(select(func.count(), func.sum(Contract.gpu_hours),
                                  func.sum(Contract.cost_fen), func.sum(Contract.subsidy_fen))
                           .where(Contract.created_at >= now - timedelta(days=30))).one()
    count, hours, value, subsidy = (int(x or 0) for x in contracts)
    assert count > 0  # the demo matched contracts
    assert _figure(page, "dash-contracts") == str(count)
    assert _number(_figure(page, "dash-traded-hours")) == hours
    assert _figure(page, "dash-value") == format_cny_grouped(value)
    assert _figure(page, "dash-subsidy") == format_cny_grouped(subsidy)
    assert _figure(page, "dash-open-orders") == str(
        _count(db, select(func.count()).select_from(Order).where(Order.status == "open")))
    assert _figure(page, "dash-live-offers") == str(_count(
        db, select(func.count()).select_from(Offer).where(Offer.status == "live",
                                                          Offer.end_at > now)))
    # The price index: each model's latest trading day (Beijing time) and its GPU-hours.
    days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for model, at, gpu_hours in db.execute(select(
            Contract.accelerator_model, Contract.created_at, Contract.gpu_hours).where(
            Contract.created_at >= now - timedelta(days=30))):
        days[model][to_shanghai(at).date().isoformat()] += gpu_hours
    rows = page.locator("[data-testid=dash-index] tbody tr[data-model]")
    assert sorted(rows.nth(i).get_attribute("data-model") for i in range(rows.count())) == sorted(
        days)
    for i in range(rows.count()):
        model = str(rows.nth(i).get_attribute("data-model"))
        cells = rows.nth(i).locator("td")
        latest = max(days[model])
        assert cells.nth(1).inner_text() == latest, model
        assert _number(cells.nth(3).inner_text()) == days[model][latest], model
    assert page.locator("#dash-index-chart, [data-testid=dash-index-chart]").count() == 1
    # Utilisation by hub, recomputed from the offers and contracts.
    expected = _expected_utilisation(db, now)
    shown = page.locator("[data-testid=dash-utilisation] tbody tr[data-hub]")
    assert shown.count() == len(expected) > 1
    for i in range(shown.count()):
        row = shown.nth(i)
        hub = str(row.get_attribute("data-hub"))
        listed, booked, gpus = expected[hub]
        cells = row.locator("td")
        hub_row = db.get(Hub, hub)
        if hub_row is not None:  # a hub by its name and side; city data centres together
            assert cells.nth(0).inner_text().split()[0] == hub_row.name.split()[0], hub
            assert hub_row.side in cells.nth(0).inner_text(), hub
        slack = gpus * DRIFT_S / 3600 + 0.1
        assert abs(_number(cells.nth(1).inner_text()) - listed) <= slack, hub
        assert abs(_number(cells.nth(2).inner_text()) - booked) <= slack, hub
    assert any(b for _, b, _ in expected.values())  # some hub is booked
    assert page.locator("#dash-utilisation").count() == 1


def test_the_regulator_sees_cases_holds_and_verification(page: Any, db: Session) -> None:
    login_as(page, "auditor")
    expect(page.locator("[data-testid=dash-compliance]")).to_be_visible()
    open_cases = _count(db, select(func.count()).select_from(ComplianceCase)
                        .where(ComplianceCase.status == "open"))
    held = db.execute(select(Cluster.id).where(
        Cluster.status.in_(["suspended", "awaiting_decision"]))).scalars().all()
    assert _figure(page, "dash-open-cases") == str(open_cases)
    assert _figure(page, "dash-held") == str(len(held))
    listed = page.locator("[data-testid=dash-held-listings] tbody tr[data-cluster]")
    assert sorted(int(listed.nth(i).get_attribute("data-cluster"))
                  for i in range(listed.count())) == sorted(held)
    cases = page.locator("[data-testid=dash-cases] tbody tr[data-case]")
    assert cases.count() == min(open_cases, 20)
    audit = page.locator("[data-testid=dash-audit]")
    ledger = page.locator("[data-testid=dash-ledger]")
    # The demo verified both when it was built; the page shows that stored result.
    assert audit.get_attribute("data-ok") == "true"
    assert "by suanli demo" in page.locator("[data-testid=dash-ledger-detail]").inner_text()
    follow(page, page.get_by_role("button", name="Verify now"))  # other tests wrote since
    assert audit.get_attribute("data-ok") == "true"
    assert ledger.get_attribute("data-ok") == "true"
    auditor = next(name for user, name, _, _ in USERS if user == "auditor")
    assert f"by {auditor}" in page.locator("[data-testid=dash-ledger-detail]").inner_text()
    records = _count(db, select(func.count()).select_from(AuditRecord))
    accounts = _count(db, select(func.count()).select_from(Account))
    transfers = _count(db, select(func.count()).select_from(Transfer))
    text = page.locator("[data-testid=dash-compliance]").inner_text()
    assert f"{records} records · checked" in text
    assert f"{accounts} accounts, {transfers} transfers · checked" in text
    assert Decimal(open_cases) >= 1  # the demo leaves cases for the regulator
