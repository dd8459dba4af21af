"""Demo steps of metering and settlement (idempotent: a second run adds nothing).

Three contracts ran over the past week (made through the real market with vouchers of
that time): acme-ai on Qingyang's H20s (Shanghai program), lingxi-labs on Qingpu's H20s
(Shanghai program) and a Beijing startup on Zhangjiakou's Ascend 910Bs (Beijing's program,
which reimburses buyers). Their usage is written as a Slurm `sacct` export, DCGM-exporter
scrapes and JSON Lines, into a temporary folder, and imported through the real importer;
then every day of the week is settled and the authorities decide some of the claims.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.money import parse_cny
from suanli.kit.timeutil import SHANGHAI, utcnow
from suanli.market import funds, instant, offers_service, placement
from suanli.market.contracts import advance_contracts
from suanli.market.models import Contract
from suanli.market.schemas import InstantBuy, OfferCreate
from suanli.metering import service as metering
from suanli.metering.importer import import_in
from suanli.metering.rows import Format
from suanli.programs import repository as program_repo
from suanli.providers import repository as providers_repo
from suanli.settlement import claims, repository, service
from suanli.settlement.charges import period_bounds, period_of
from suanli.settlement.demo_usage import json_lines, prometheus_lines, sacct_lines
from suanli.vouchers import service as vouchers

DAYS = 7
DEMO = "demo"
BEIJING = ("jingwei-ai", "Jingwei AI (Beijing) Co., Ltd.", "京纬智能（北京）有限公司")
# (buyer, program preset, authority slug, cluster, GPUs, format)
RUNS = [
    ("acme-ai", "shanghai", "sh-eitc", "QY-H20-01", 16, Format.SACCT),
    ("lingxi-labs", "shanghai", "sh-eitc", "QP-H20-01", 8, Format.PROMETHEUS),
    (BEIJING[0], "beijing", "beijing-bureau", "ZJK-910B-01", 8, Format.JSON),
]


def first_day() -> date:
    return period_of(utcnow()) - timedelta(days=DAYS + 1)


def _buyer(session: Session, slug: str) -> Organisation | None:
    org = auth_repo.org_by_slug(session, slug)
    if org is None and slug == BEIJING[0]:
        org = auth_service.create_organisation(session, slug=slug, name=BEIJING[1],
                                               name_zh=BEIJING[2], kind=OrgKind.STARTUP,
                                               city="beijing")
        funds.record_deposit(session, organisation=slug, amount_fen=parse_cny("200000.00"),
                             reference="demo-opening-balance")
    return org


def _contract(session: Session, run: tuple[str, str, str, str, int, Format], start: datetime
              ) -> Contract | None:
    """The week's contract of one run, with a voucher valid since before it began."""
    buyer_slug, preset, authority_slug, cluster_name, gpus, _ = run
    buyer, authority = _buyer(session, buyer_slug), auth_repo.org_by_slug(session,
                                                                          authority_slug)
    clusters = [c for c in providers_repo.clusters(session, None) if c.name == cluster_name]
    if buyer is None or authority is None or not clusters:
        return None
    program = program_repo.by_preset(session, authority.id, preset)
    if program is None:
        return None
    before = start - timedelta(hours=1)
    voucher = vouchers.issue(session, program=program, holder_org_id=buyer.id,
                             value_fen=program.default_value_fen, application_id=None,
                             user_id=None, now=before - timedelta(hours=1))
    cluster = clusters[0]
    offer = offers_service.create_offer(session, org_ids={cluster.organisation_id}, now=before,
                                        data=OfferCreate(
        cluster_id=cluster.id, gpus=gpus, start_at=start, end_at=start + timedelta(days=DAYS),
        ask_cny_per_gpu_hour="8.80", min_lease_hours=24))
    return instant.instant_buy(session, org_ids={buyer.id}, now=before, data=InstantBuy(
        offer_id=offer.id, gpus=gpus, hours=DAYS * 24, start_at=start, voucher_id=voucher.id))


def _lines(contract: Contract, fmt: Format, uuids: list[str]) -> list[str]:
    local = contract.start_at.astimezone(SHANGHAI)
    if fmt is Format.SACCT:
        return sacct_lines(contract.id, local, DAYS, contract.gpus)
    if fmt is Format.PROMETHEUS:
        return prometheus_lines(uuids[:contract.gpus], contract.start_at, DAYS)
    return json_lines(contract.id, local, DAYS, contract.gpus)


def seed_usage(session: Session) -> None:
    """The week's contracts and their usage, each format written to a file and imported."""
    if metering.imported_by(session, DEMO):
        return
    start = period_bounds(first_day())[0]
    with tempfile.TemporaryDirectory(prefix="suanli-demo-usage-") as folder:
        for run in RUNS:
            contract = _contract(session, run, start)
            if contract is None:
                continue
            uuids = [g.gpu_uuid for g in placement.place(session, contract)]  # its GPUs
            path = Path(folder) / f"contract-{contract.id}.{run[5]}"
            path.write_text("\n".join(_lines(contract, run[5], uuids)) + "\n",
                            encoding="utf-8")
            with path.open(encoding="utf-8") as lines:
                import_in(session, lines=lines, fmt=run[5], filename=path.name,
                          reporter=metering.Reporter(name=DEMO, org_ids=frozenset(
                              {contract.provider_org_id}),
                              organisation_id=contract.provider_org_id))
    advance_contracts(session)


def seed_settlement(session: Session) -> None:
    """Every day of the week settled; the first claims approved, one rejected."""
    day = first_day()
    for n in range(DAYS):
        service.settle_period(session, period_end=day + timedelta(days=n))
    if repository.decided_claims(session):
        return  # decided in an earlier run
    pending, _ = repository.claims(session, authority_ids=None, claimant_ids=None,
                                   status="submitted", limit=500, offset=0)
    by_contract: dict[int, list[int]] = {}
    for claim in sorted(pending, key=lambda c: c.id):
        by_contract.setdefault(claim.contract_id, []).append(claim.id)
    for n, ids in enumerate(by_contract.values()):
        for claim_id in ids[:3]:
            found = repository.claim(session, claim_id)
            assert found is not None
            reject = n == 1 and claim_id == ids[2]
            claims.decide(session, claim_id=claim_id, approve=not reject,
                          reason="GPU utilisation missing for two GPUs on this day; resend "
                                 "the scrapes" if reject else None,
                          authority_ids={found.authority_org_id}, user_id=None)


STEPS = [
    ("metering: a week of usage (sacct, Prometheus, JSON)", seed_usage),
    ("settlement: the week settled, claims decided", seed_settlement),
]
