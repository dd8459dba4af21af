"""The demo's history of startups: every day a few register in one of the program cities,
fill in a profile and apply to their city's program; the rules pass, fail or hand them to a
reviewer, who decides a few days later. Approved startups pay in an opening deposit.

Profiles vary the way real ones do (revenue below or above the threshold, a national R&D
project or none, a blank or a defaulted credit record, registered in another city), so
every outcome of every city's rules appears. Deterministic: the n-th startup is always the
same.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from suanli.applications import repository, review
from suanli.applications import service as applications
from suanli.applications.models import Application
from suanli.applications.states import ApplicationStatus
from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.kit.errors import AppError
from suanli.kit.money import parse_cny
from suanli.kit.timeutil import as_utc
from suanli.market import funds
from suanli.programs import repository as program_repo
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program

MILLION = 1_000_000_00
NAMES = ["Tianyan", "Moxin", "Qiming", "Yunfan", "Xingchen", "Shensuan", "Lanjing", "Huiyu",
         "Zhiyuan", "Ruiqi", "Haoran", "Jinghong", "Mingda", "Feiyue", "Kunpeng", "Linghang"]
TRADES = ["AI", "Robotics", "Vision", "Speech", "Bio-AI", "Data", "Models", "Intelligence"]
REVIEW_AFTER_DAYS = 3


def startups_on(day_index: int) -> int:
    """How many startups apply on the day: two, three every third day (about 230)."""
    return 3 if day_index % 3 == 0 else 2


def _profile(rng: random.Random, city: str, cities: list[str]) -> dict[str, Any]:
    member = rng.random() < 0.3
    return {
        "registered_city": city if rng.random() < 0.88 else rng.choice(cities),
        "annual_revenue_fen": rng.choice([None, 2 * MILLION, 4 * MILLION, 6 * MILLION,
                                          9 * MILLION, 25 * MILLION]),
        "research_project_member": member if rng.random() < 0.9 else None,
        "research_project_number": f"2025YFB{rng.randrange(1000, 9999)}00" if member else None,
        "headcount": rng.choice([6, 12, 25, 48, 90, 180, 420]),
        "founded_on": date(2018 + rng.randrange(7), rng.randrange(1, 13), 1),
        "model_filings": rng.randrange(0, 4),
        "credit_record": rng.choice(["ok"] * 7 + [None, "default_3y"]),
        "other_subsidies": [],
    }


def _programs(session: Session) -> list[Program]:
    return program_repo.programs(session, authority_ids=None, public=True,
                                 statuses=[ProgramStatus.PUBLISHED])


def apply(session: Session, *, serial: int, now: datetime) -> Application | None:
    """The `serial`-th startup registers, fills in its profile and applies (at `now`)."""
    rng = random.Random(serial)
    programs = sorted(_programs(session), key=lambda p: p.id)
    if not programs:
        return None
    program = programs[serial % len(programs)]
    city = program.city
    slug = f"s{serial:03d}-{NAMES[serial % len(NAMES)].lower()}"
    if auth_repo.org_by_slug(session, slug) is not None:
        return None
    trade = TRADES[serial // len(NAMES) % len(TRADES)]
    org = auth_service.create_organisation(
        session, slug=slug, name=f"{NAMES[serial % len(NAMES)]} {trade} Co., Ltd.",
        name_zh=None, kind=OrgKind.STARTUP, city=city)
    cities = sorted({p.city for p in programs})
    applications.save_profile(session, organisation_id=org.id, user_id=None,
                              values=_profile(rng, city, cities))
    try:
        with session.begin_nested():
            draft = applications.create(session, program=program, organisation_id=org.id,
                                        user_id=None, now=now,
                                        paired_provider=_paired_provider(session, program, rng))
            done = applications.submit(session, application=draft, user_id=None, now=now)
    except AppError:
        return None  # refused by the program (its window, a cap): the startup gave up
    if done.status == ApplicationStatus.VOUCHER_ISSUED:
        _deposit(session, slug, rng)
    return done


def _paired_provider(session: Session, program: Program, rng: random.Random) -> str | None:
    """Where the program pairs vouchers (Langfang), the provider the startup names: one of
    the program's listed providers, or any provider."""
    if not program.paired_vouchers:
        return None
    slugs = sorted(program.provider_slugs or
                   (org.slug for org in auth_repo.orgs_of_kind(session, OrgKind.PROVIDER)))
    return rng.choice(slugs) if slugs else None


def _deposit(session: Session, slug: str, rng: random.Random) -> None:
    amount = parse_cny(f"{rng.choice([50, 100, 200, 400])}000.00")
    funds.record_deposit(session, organisation=slug, amount_fen=amount,
                         reference="demo-opening-balance")


def review_waiting(session: Session, *, now: datetime, reviewer_id: int | None) -> None:
    """Applications waiting for a reviewer since a few days: most approved, some rejected."""
    waiting = repository.applications(session, statuses=[ApplicationStatus.NEEDS_REVIEW],
                                      oldest_first=True)
    cutoff = now - timedelta(days=REVIEW_AFTER_DAYS)
    for application in waiting:
        submitted = application.submitted_at
        if submitted is None or as_utc(submitted) > cutoff or application.id % 7 == 0:
            continue  # every seventh stays in the queue for today's reviewers
        approve = application.id % 4 != 0
        program = program_repo.get(session, application.program_id)
        if program is None:
            continue
        try:
            with session.begin_nested():
                decided = review.decide(
                    session, application_id=application.id, approve=approve,
                    reason=None if approve else "Revenue and project letter not evidenced.",
                    value_fen=program.default_value_fen if approve else None,
                    user_id=reviewer_id, authority_ids=None, now=now)
        except AppError:
            continue
        if decided.status == ApplicationStatus.VOUCHER_ISSUED:
            org = program_repo.organisation(session, application.organisation_id)
            if org is not None:
                _deposit(session, org.slug, random.Random(application.id))
