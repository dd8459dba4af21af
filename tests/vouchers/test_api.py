"""The vouchers API and CLI: wallets are private, clawback by the issuing authority, expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.ledger.verify import verify
from suanli.programs import service as programs
from suanli.vouchers import service
from suanli.vouchers.cli import vouchers_app
from tests.programs.factory import MILLION, make_program
from tests.programs.world import World


def issue(db: Session, w: World, org_id: int) -> int:
    voucher = service.issue(db, program=w.program, holder_org_id=org_id, value_fen=MILLION,
                            application_id=None, user_id=None)
    db.commit()
    return voucher.id


def test_wallets_are_private(client: TestClient, world: World, db: Session) -> None:
    mine = issue(db, world, world.buyer.org_id)
    theirs = issue(db, world, world.rival.org_id)
    wallet = client.get("/api/v1/vouchers", headers=world.buyer.headers).json()
    assert [v["id"] for v in wallet] == [mine]
    assert client.get(f"/api/v1/vouchers/{theirs}", headers=world.buyer.headers).status_code \
        == 404
    assert client.get(f"/api/v1/vouchers/{mine}",
                      headers=world.other_bureau.headers).status_code == 404
    seen = {v["id"] for v in client.get("/api/v1/vouchers", headers=world.bureau.headers).json()}
    assert seen == {mine, theirs}
    one = client.get(f"/api/v1/vouchers/{mine}", headers=world.auditor.headers).json()
    assert one["holder"] == world.buyer.org_slug and one["terms"]["id"] == f"v-{mine}"


def test_clawback_by_the_issuing_authority(client: TestClient, world: World,
                                           db: Session) -> None:
    voucher_id = issue(db, world, world.buyer.org_id)
    url = f"/api/v1/vouchers/{voucher_id}/clawback"
    assert client.post(url, headers=world.other_bureau.headers,
                       json={"reason": "fraud"}).status_code == 404
    assert client.post(url, headers=world.buyer.headers,
                       json={"reason": "fraud"}).status_code == 403
    blank = client.post(url, headers=world.bureau.headers, json={"reason": ""})
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    done = client.post(url, headers=world.bureau.headers,
                       json={"reason": "forged invoices"}).json()
    assert done["status"] == "clawed_back" and done["returned_cny"] == "1000000.00"
    assert done["close_reason"] == "forged invoices"
    again = client.post(url, headers=world.bureau.headers, json={"reason": "again"})
    assert again.status_code == 409


def test_expire_due_through_the_api(client: TestClient, world: World, db: Session) -> None:
    service.issue(db, program=world.program, holder_org_id=world.buyer.org_id,
                  value_fen=MILLION, application_id=None, user_id=None,
                  now=utcnow() - timedelta(days=400))
    db.commit()
    first = client.post("/api/v1/vouchers/expire-due", headers=world.admin.headers).json()
    assert first == {"expired": 1, "returned_cny": "1000000.00",
                     "residual_returned_cny": "0.00"}
    second = client.post("/api/v1/vouchers/expire-due", headers=world.admin.headers).json()
    assert second["expired"] == 0
    assert client.post("/api/v1/vouchers/expire-due",
                       headers=world.bureau.headers).status_code == 403


def test_cli_expire_is_safe_to_run_twice(fresh_database: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from suanli.auth import service as auth_service
    from suanli.auth.roles import OrgKind
    from suanli.config import get_settings

    engine = make_engine(fresh_database)
    factory = make_sessionmaker(engine)
    with unit_of_work(factory) as db:
        authority = auth_service.create_organisation(db, slug="bureau", name="B",
                                                     kind=OrgKind.AUTHORITY)
        startup = auth_service.create_organisation(db, slug="acme", name="A",
                                                   kind=OrgKind.STARTUP)
        program = make_program(db, authority.id)
        service.issue(db, program=program, holder_org_id=startup.id, value_fen=MILLION,
                      application_id=None, user_id=None, now=utcnow() - timedelta(days=30))
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        later = (utcnow() + timedelta(days=400)).isoformat()
        first = runner.invoke(vouchers_app, ["expire", "--now", later])
        assert first.exit_code == 0, (first.output, repr(first.exception))
        assert "expired 1 voucher(s); returned 1,000,000.00 CNY" in first.output
        second = runner.invoke(vouchers_app, ["expire", "--now", later])
        assert second.exit_code == 0 and "expired 0 voucher(s)" in second.output
        bad = runner.invoke(vouchers_app, ["expire", "--now", "tomorrow"])
        assert bad.exit_code == 2 and "--now" in bad.output
        listed = runner.invoke(vouchers_app, ["list"])
        assert listed.exit_code == 0 and "expired" in listed.output
    finally:
        get_settings.cache_clear()
    with unit_of_work(factory) as db:
        assert programs.available_fen(db, programs.get(db, program.id)) == 10 * MILLION
        assert verify(db).ok
    engine.dispose()
