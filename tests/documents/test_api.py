"""Evidence uploads through the API: checks, nothing written on refusal, who may read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.documents.models import Document
from tests.programs.world import World

PDF = b"%PDF-1.7\n%%EOF\n"


def documents(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Document)).scalar_one())


@pytest.fixture
def draft(client: TestClient, world: World) -> int:
    response = client.post("/api/v1/applications", headers=world.buyer.headers,
                           json={"program_id": world.program.id})
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def upload(client: TestClient, who: Any, application_id: int, name: str = "revenue.pdf",
           data: bytes = PDF) -> Any:
    return client.post(f"/api/v1/applications/{application_id}/evidence", headers=who.headers,
                       files={"file": (name, data, "application/octet-stream")})


def test_evidence_is_readable_by_owner_its_authority_and_auditors_only(
        client: TestClient, world: World, draft: int, docs_dir: Path) -> None:
    response = upload(client, world.buyer, draft)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["media_type"] == "application/pdf" and body["purpose"] == "evidence"
    assert (body["object_type"], body["object_id"]) == ("application", str(draft))
    url = body["url"]
    # The program's authority reads it (reviewers and program admins: the application
    # page links it); other authorities and the platform admin do not.
    for who, status in ((world.buyer, 200), (world.reviewer, 200), (world.auditor, 200),
                        (world.bureau, 200), (world.rival, 404), (world.other_reviewer, 404),
                        (world.other_bureau, 404), (world.admin, 404)):
        got = client.get(url, headers=who.headers)
        assert got.status_code == status, (who.role, got.status_code)
        if status == 200:
            assert got.content == PDF
            assert got.headers["content-type"] == "application/pdf"
            assert got.headers["content-disposition"].startswith("attachment;")
            assert got.headers["x-content-type-options"] == "nosniff"
    listed = client.get(f"/api/v1/applications/{draft}", headers=world.reviewer.headers)
    assert [d["id"] for d in listed.json()["evidence"]] == [body["id"]]


def test_wrong_type_and_size_are_refused_and_nothing_is_written(
        client: TestClient, world: World, draft: int, db: Session, docs_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = documents(db)
    bad = upload(client, world.buyer, draft, name="revenue.pdf", data=b"MZ\x90 not a pdf")
    assert bad.status_code == 422 and bad.json()["field"] == "file"
    assert bad.json()["type"].endswith("/upload-refused")
    monkeypatch.setenv("SUANLI_MAX_UPLOAD_BYTES", "1024")
    big = upload(client, world.buyer, draft, data=PDF + b" " * 2048)
    assert big.status_code == 413 and big.json()["field"] == "file"
    assert documents(db) == before


def test_only_the_owning_startup_may_attach(client: TestClient, world: World, draft: int,
                                           docs_dir: Path) -> None:
    assert upload(client, world.rival, draft).status_code == 404
    assert upload(client, world.reviewer, draft).status_code == 403
    response = client.post("/api/v1/documents", headers=world.buyer.headers,
                           data={"object_type": "planet", "object_id": "1"},
                           files={"file": ("a.pdf", PDF, "application/pdf")})
    assert response.status_code == 422 and response.json()["field"] == "object_type"
    generic = client.post("/api/v1/documents", headers=world.buyer.headers,
                          data={"object_type": "application", "object_id": str(draft)},
                          files={"file": ("a.txt", b"hello", "text/plain")})
    assert generic.status_code == 201 and generic.json()["media_type"] == "text/plain"


def test_evidence_closes_once_the_application_is_decided(
        client: TestClient, world: World, draft: int, docs_dir: Path) -> None:
    client.put("/api/v1/applications/profile", headers=world.buyer.headers,
               json={"registered_city": "shanghai", "annual_revenue_cny": "8000000.00",
                     "credit_record": "ok"})
    submitted = client.post(f"/api/v1/applications/{draft}/submit",
                            headers=world.buyer.headers)
    assert submitted.json()["status"] == "voucher_issued"
    late = upload(client, world.buyer, draft)
    assert late.status_code == 409 and late.json()["field"] == "object_id"
