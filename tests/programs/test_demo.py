"""The demo's voucher world: presets published and funded, every outcome, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from suanli.applications import repository as app_repo
from suanli.applications.demo import seed_applications, seed_programs, shanghai_program
from suanli.applications.states import ApplicationStatus as S
from suanli.auth import repository as auth_repo
from suanli.config import get_settings
from suanli.demo.build import seed_identity
from suanli.documents import service as documents
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.ledger.verify import verify
from suanli.programs import presets, repository
from suanli.programs.enums import ProgramStatus
from suanli.vouchers import repository as voucher_repo


@pytest.fixture
def demo_db(fresh_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def _status(session: Session, slug: str) -> str:
    org = auth_repo.org_by_slug(session, slug)
    assert org is not None
    (application,) = app_repo.applications(session, organisation_ids=[org.id])
    return str(application.status)


def test_demo_programs_and_applications(demo_db: str) -> None:
    factory = make_sessionmaker(make_engine(demo_db))
    for _ in range(2):  # the second run adds nothing
        for step in (seed_identity, seed_programs, seed_applications):
            with unit_of_work(factory) as session:
                step(session)
    with unit_of_work(factory) as session:
        programs = repository.programs(session, authority_ids=None, public=False)
        assert len(programs) == len(presets.all_presets())
        assert len({p.city for p in programs}) >= 17
        assert {p.status for p in programs} == {ProgramStatus.PUBLISHED}
        shanghai = shanghai_program(session)
        assert [_status(session, s) for s in ("acme-ai", "lingxi-labs", "hangzhou-vision",
                                              "deepseed-ai")] == [
            S.VOUCHER_ISSUED, S.VOUCHER_ISSUED, S.REJECTED, S.NEEDS_REVIEW]
        vouchers = voucher_repo.vouchers(session, program_ids=[shanghai.id])
        assert sorted(v.face_value_fen for v in vouchers) == [1_000_000_00, 1_500_000_00]
        waiting = app_repo.applications(session, statuses=[S.NEEDS_REVIEW])
        assert len(documents.for_object(session, "application", waiting[0].id)) == 1
        assert verify(session).ok
