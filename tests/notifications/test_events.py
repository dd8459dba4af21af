"""The domains emit their events in the transaction of the change, and each reaches the
people it concerns: startups, reviewers, bureaus, providers, auditors, the platform."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from suanli.applications import review
from suanli.applications import service as applications
from suanli.auth.roles import Role
from suanli.integrity import service as integrity
from suanli.kit.timeutil import utcnow
from suanli.market import contracts
from suanli.notifications import sender
from suanli.providers import attestations, compliance
from suanli.providers import service as providers
from suanli.providers.attestation import build_payload, load_private_key, new_key_pair, sign
from suanli.providers.models import CaseKind
from suanli.providers.schemas import ClusterCreate
from suanli.settlement import claims
from suanli.settlement import service as settlement
from suanli.settlement import worker as worker
from suanli.vouchers import service as vouchers
from tests.market.helpers import issue_voucher, order_body, post_offer, small_market
from tests.notifications.helpers import events, inbox_rows
from tests.programs.factory import MILLION, make_program, passing_profile
from tests.settlement.usage import use
from tests.settlement.world import build_world


def told(db: Session, sessions: sessionmaker[Session]) -> dict[int, list[str]]:
    """Dispatch the outbox; each user id -> the kinds in their inbox, oldest first."""
    sender.dispatch_all(sessions, settings=sender.notify_settings())
    out: dict[int, list[str]] = {}
    for note in inbox_rows(db):
        out.setdefault(note.user_id, []).append(note.kind)
    return out


def kinds(db: Session) -> list[str]:
    return [e.kind for e in events(db)]


def test_applications_tell_the_startup_and_the_reviewers(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    bureau = member(Role.PROGRAM_ADMIN, org="sh-bureau")
    reviewer = member(Role.REVIEWER, org="sh-bureau")
    elsewhere = member(Role.REVIEWER, org="bj-bureau")
    buyer = member(Role.BUYER, org="acme")
    rival = member(Role.BUYER, org="rival")
    program = make_program(db, bureau.org_id)
    for org in (buyer, rival):
        city = "shanghai" if org is buyer else "beijing"
        applications.save_profile(db, organisation_id=org.org_id, user_id=None,
                                  values=passing_profile(registered_city=city))
    asked = applications.create(db, program=program, organisation_id=buyer.org_id,
                                user_id=buyer.user.id, requested_value_fen=2 * MILLION)
    applications.submit(db, application=asked, user_id=buyer.user.id)
    failed = applications.create(db, program=program, organisation_id=rival.org_id,
                                 user_id=rival.user.id)
    applications.submit(db, application=failed, user_id=rival.user.id)
    review.decide(db, application_id=asked.id, approve=True, reason="strong team",
                  value_fen=2 * MILLION, user_id=reviewer.user.id,
                  authority_ids={reviewer.org_id})
    db.commit()
    inbox = told(db, sessions)
    assert inbox[buyer.user.id] == ["application.submitted", "application.approved",
                                    "voucher.issued"]
    assert inbox[rival.user.id] == ["application.submitted", "application.rejected"]
    assert inbox[reviewer.user.id] == ["application.needs_review"]
    assert elsewhere.user.id not in inbox and bureau.user.id not in inbox


def test_vouchers_tell_their_holder_of_clawback_and_expiry(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    buyer = member(Role.BUYER)
    first = issue_voucher(db, member, buyer.org_id)
    second = issue_voucher(db, member, buyer.org_id)
    vouchers.clawback(db, voucher_id=first.id, reason="fraud", user_id=None)
    vouchers.expire_due(db, now=utcnow() + timedelta(days=400))
    db.commit()
    assert told(db, sessions)[buyer.user.id] == [
        "voucher.issued", "voucher.issued", "voucher.clawed_back", "voucher.expired"]
    expired = [e for e in events(db) if e.kind == "voucher.expired"]
    assert [e.payload["voucher_id"] for e in expired] == [second.id]
    assert expired[0].payload["returned_fen"] == 1_000_000_00


@pytest.mark.usefixtures("reference_data")
def test_a_round_tells_each_buyer_whether_its_order_matched_and_why_not(
        client: TestClient, db: Session, sessions: sessionmaker[Session],
        member: Callable[..., Any]) -> None:
    m = small_market(client, member)
    post_offer(client, m.provider.headers, m.cluster["id"])
    cheap = client.post("/api/v1/market/orders", headers=m.buyer.headers, json=order_body(
        gpus=4, duration_hours=5))
    stingy = client.post("/api/v1/market/orders", headers=m.buyer.headers, json=order_body(
        limit_cny_per_gpu_hour="1.00"))
    assert cheap.status_code == stingy.status_code == 201
    done = client.post("/api/v1/market/rounds", json={"time_limit_s": 20},
                       headers=m.admin.headers)
    assert done.status_code == 201, done.text
    told(db, sessions)
    by_order = {e.payload["order_id"]: e for e in events(db) if e.kind.startswith("order.")}
    assert by_order[cheap.json()["id"]].kind == "order.matched"
    missed = by_order[stingy.json()["id"]]
    assert missed.kind == "order.unmatched" and missed.payload["reason"] == "over_limit"
    page = client.get("/api/v1/notifications", headers=m.buyer.headers).json()
    bodies = [i["body"] for i in page["items"] if i["kind"] == "order.unmatched"]
    assert bodies == [f"Order #{missed.payload['order_id']} was not matched in clearing round "
                      f"#{missed.payload['round_id']}: every compatible offer was above your "
                      "price limit. It stays open for the next round."]


def test_contracts_settlement_and_claims_tell_buyer_provider_and_bureau(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    world = build_world(db, member, days_ago=3)
    bureau = member(Role.PROGRAM_ADMIN, org=world.authority.org_slug)
    contracts.advance_contracts(db, now=utcnow())
    use(db, world, (0, 24, 8), (24, 36, 8))
    settlement.settle_period(db, period_end=world.day1)
    first, *_ = claims_of(db)
    claims.decide(db, claim_id=first.id, approve=False, reason="logs missing",
                  authority_ids={world.authority.org_id}, user_id=bureau.user.id)
    db.commit()
    inbox = told(db, sessions)
    assert inbox[world.buyer.user.id] == ["voucher.issued", "contract.completed",
                                          "invoice.issued"]
    assert inbox[world.provider.user.id] == ["contract.completed", "claim.submitted",
                                             "claim.rejected"]
    assert inbox[bureau.user.id] == ["claim.submitted"]


def claims_of(db: Session) -> list[Any]:
    from sqlalchemy import select

    from suanli.settlement.models import Claim

    return list(db.execute(select(Claim).order_by(Claim.id)).scalars())


def test_a_running_contract_starts_and_a_cancelled_one_says_so(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    world = build_world(db, member, days_ago=1)
    contracts.advance_contracts(db, now=utcnow())
    contracts.cancel_contract(db, contract_id=world.contract.id,
                              buyer_ids={world.buyer.org_id})
    db.commit()
    inbox = told(db, sessions)
    # The cancellation is the contract's final settlement: the provider claims its subsidy.
    assert inbox[world.provider.user.id] == ["contract.running", "claim.submitted",
                                             "contract.cancelled"]
    cancelled = [e for e in events(db) if e.kind == "contract.cancelled"]
    assert cancelled[0].payload["charge_fen"] > 0


def test_compliance_and_attestation_tell_the_provider_and_the_auditors(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any]) -> None:
    world = build_world(db, member)
    auditor = member(Role.AUDITOR)
    private, public = new_key_pair()
    cluster = providers.register_cluster(db, org_ids={world.provider.org_id}, data=ClusterCreate(
        data_centre_id=world.cluster.data_centre_id, name="claims-h20", accelerator_model="h20",
        nodes=1, gpus_per_node=8, interconnect="RoCE", attestation_key=public))
    gpus = [{"index": i, "name": "NVIDIA H100 80GB HBM3", "uuid": f"GPU-h100-{i}",
             "memory_total_mib": 81559} for i in range(8)]
    payload = build_payload(cluster_id=cluster.id, hostname="node-00", gpus=gpus, now=utcnow())
    outcome = attestations.receive(db, org_ids={world.provider.org_id}, cluster_id=cluster.id,
                                   payload=payload,
                                   signature=sign(payload, load_private_key(private)))
    assert outcome.problems
    case = next(c for c in providers_cases(db) if c.kind == CaseKind.ATTESTATION_MISMATCH)
    compliance.decide(db, case_id=case.id, decision="reject", reason="hardware misstated",
                      user_id=auditor.user.id)
    db.commit()
    inbox = told(db, sessions)
    assert inbox[world.provider.user.id][-3:] == [
        "attestation.mismatch", "compliance.case_opened", "compliance.case_decided"]
    assert inbox[auditor.user.id] == ["attestation.mismatch", "compliance.case_opened"]
    mismatch = next(e for e in events(db) if e.kind == "attestation.mismatch")
    assert "reports h100" in mismatch.payload["problems"]


def providers_cases(db: Session) -> list[Any]:
    from sqlalchemy import select

    from suanli.providers.models import ComplianceCase

    return list(db.execute(select(ComplianceCase).order_by(ComplianceCase.id)).scalars())


def test_failed_runs_tell_the_platform_and_the_regulator(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    admin = member(Role.PLATFORM_ADMIN)
    auditor = member(Role.AUDITOR)
    from suanli.audit.chain import Verdict

    integrity.record_audit(db, Verdict(ok=True, checked=10), started_at=utcnow(),
                           by=integrity.Requester("test"))
    integrity.record_audit(db, Verdict(ok=False, checked=10, seq=4, problem="hash mismatch"),
                           started_at=utcnow(), by=integrity.Requester("test"))
    db.commit()

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(settlement, "settle_period", broken)
    for _ in range(2):  # the worker retries every pass; people hear of it once a day
        with pytest.raises(RuntimeError):
            worker.settle_yesterday(sessions)
    inbox = told(db, sessions)
    assert inbox[admin.user.id] == ["integrity.failed", "settlement.run_failed"]
    assert inbox[auditor.user.id] == ["integrity.failed"]
    assert kinds(db).count("settlement.run_failed") == 1
    assert "integrity.passed" in kinds(db)  # emitted, and told to nobody
