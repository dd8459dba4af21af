"""A small world for API and page tests: two authorities, startups, members of each role.

Import the fixtures into a test module (`from tests.programs.world import world, docs_dir`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from suanli.applications import service as applications
from suanli.auth import service as auth_service
from suanli.auth.roles import Role
from suanli.documents import storage
from suanli.programs.models import Program
from tests.programs.factory import make_program, passing_profile


@dataclass
class World:
    bureau: Any  # program admin of sh-bureau
    reviewer: Any  # reviewer of sh-bureau
    other_bureau: Any  # program admin of bj-bureau
    other_reviewer: Any  # reviewer of bj-bureau
    buyer: Any  # buyer of acme
    rival: Any  # buyer of rival (another startup)
    auditor: Any
    admin: Any  # platform admin
    program: Program  # sh-bureau's published program


@pytest.fixture
def world(db: Session, member: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> World:
    # Eight members: skip argon2 (half a second each); these tests call with API tokens.
    monkeypatch.setattr(auth_service, "hash_password", lambda _password: "not-for-login")
    bureau = member(Role.PROGRAM_ADMIN, org="sh-bureau")
    w = World(
        bureau=bureau, reviewer=member(Role.REVIEWER, org="sh-bureau"),
        other_bureau=member(Role.PROGRAM_ADMIN, org="bj-bureau"),
        other_reviewer=member(Role.REVIEWER, org="bj-bureau"),
        buyer=member(Role.BUYER, org="acme"), rival=member(Role.BUYER, org="rival"),
        auditor=member(Role.AUDITOR), admin=member(Role.PLATFORM_ADMIN),
        program=make_program(db, bureau.org_id))
    db.commit()
    return w


def save_profile(db: Session, org_id: int, **over: Any) -> None:
    applications.save_profile(db, organisation_id=org_id, values=passing_profile(**over),
                              user_id=None)
    db.commit()


@pytest.fixture
def docs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Documents stored under a temporary folder for the test."""
    folder = tmp_path / "documents"
    monkeypatch.setattr(storage, "root", lambda: folder)
    yield folder
