"""Demo steps for programs, applications and vouchers (idempotent: a second run adds nothing).

Every city preset becomes a published, funded program of its own authority; Shanghai's
belongs to the demo bureau `sh-eitc`. Startups then apply to it: acme-ai passes every rule
(auto-approved, voucher issued), lingxi-labs leaves its credit record blank (a reviewer
approved it with 1.5 m CNY), hangzhou-vision is registered in Hangzhou (rejected by the
rules) and deepseed-ai gave neither revenue nor research project (waiting in the review
queue, with evidence). nova-ai has not applied yet.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from suanli.applications import evidence, repository, review
from suanli.applications import service as applications
from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind
from suanli.documents import service as documents
from suanli.documents.models import Purpose
from suanli.kit.timeutil import utcnow
from suanli.programs import presets, service
from suanli.programs import repository as program_repo
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program

DEMO_AUTHORITY = "sh-eitc"
MILLION = 1_000_000_00

# (organisation slug, profile, requested value in fen or None)
APPLICANTS: list[tuple[str, dict[str, Any], int | None]] = [
    ("acme-ai", {"registered_city": "shanghai", "annual_revenue_fen": 8 * MILLION,
                 "research_project_member": False, "headcount": 42,
                 "founded_on": date(2021, 5, 12), "model_filings": 2, "credit_record": "ok",
                 "other_subsidies": []}, None),
    ("lingxi-labs", {"registered_city": "shanghai", "annual_revenue_fen": 6_500_000_00,
                     "research_project_member": False, "headcount": 18,
                     "founded_on": date(2022, 9, 1), "model_filings": 1,
                     "credit_record": None, "other_subsidies": []}, 1_500_000_00),
    ("hangzhou-vision", {"registered_city": "hangzhou", "annual_revenue_fen": 12 * MILLION,
                         "research_project_member": True,
                         "research_project_number": "2024ZD0101", "headcount": 75,
                         "founded_on": date(2019, 3, 20), "model_filings": 3,
                         "credit_record": "ok", "other_subsidies": []}, None),
    ("deepseed-ai", {"registered_city": "shanghai", "annual_revenue_fen": None,
                     "research_project_member": None,
                     "research_project_number": "2025YFB2800300", "headcount": 9,
                     "founded_on": date(2024, 2, 1), "model_filings": 0,
                     "credit_record": "ok", "other_subsidies": []}, None),
]
EVIDENCE = {"deepseed-ai": ("research-project-letter.txt",
                            "National key R&D project 2025YFB2800300: Deepseed AI is a "
                            "participating unit (letter of the project office).\n"),
            "lingxi-labs": ("revenue-2025.csv", "year,revenue_cny\n2025,6500000.00\n")}


def _authority(session: Session, preset: presets.Preset) -> int:
    slug = DEMO_AUTHORITY if preset.key == "shanghai" else f"{preset.key}-bureau"
    org = auth_repo.org_by_slug(session, slug)
    if org is None:
        org = auth_service.create_organisation(
            session, slug=slug, name=f"{preset.name} office", kind=OrgKind.AUTHORITY,
            name_zh=f"{preset.name_zh}办公室", city=preset.city)
    return org.id


def seed_programs(session: Session) -> None:
    """Every preset as a published, funded program of its city's authority."""
    opens = utcnow() - timedelta(days=30)
    for preset in presets.all_presets():
        authority_id = _authority(session, preset)
        if program_repo.by_preset(session, authority_id, preset.key) is not None:
            continue
        program = service.create_from_preset(session, authority_org_id=authority_id,
                                             key=preset.key, opens_at=opens, user_id=None)
        service.set_status(session, program=program, status=ProgramStatus.PUBLISHED)


def shanghai_program(session: Session) -> Program:
    org = auth_repo.org_by_slug(session, DEMO_AUTHORITY)
    assert org is not None, "run the identity step first"
    program = program_repo.by_preset(session, org.id, "shanghai")
    assert program is not None, "run the programs step first"
    return program


def seed_applications(session: Session) -> None:
    """The applicants above, each taken as far as the story says."""
    program = shanghai_program(session)
    reviewer = auth_repo.user_by_username(session, "reviewer")
    for slug, profile, requested in APPLICANTS:
        org = auth_repo.org_by_slug(session, slug)
        if org is None or repository.applications(session, organisation_ids=[org.id],
                                                  program_id=program.id):
            continue
        applications.save_profile(session, organisation_id=org.id, values=profile,
                                  user_id=None)
        draft = applications.create(session, program=program, organisation_id=org.id,
                                    user_id=None, requested_value_fen=requested)
        if slug in EVIDENCE:
            name, text = EVIDENCE[slug]
            documents.upload(session, owner_org_id=org.id, uploaded_by=None, filename=name,
                             data=text.encode(), purpose=Purpose.EVIDENCE,
                             object_type=evidence.OBJECT_TYPE, object_id=draft.id)
        applications.submit(session, application=draft, user_id=None)
        if slug == "lingxi-labs":
            review.decide(session, application_id=draft.id, approve=True,
                          reason="Credit report from the bank checked: no default since 2022.",
                          value_fen=1_500_000_00, user_id=reviewer.id if reviewer else None,
                          authority_ids=None)
