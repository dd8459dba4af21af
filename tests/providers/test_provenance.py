"""Provenance evidence and the auditor's decision on a controlled foreign part."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.config import get_settings
from suanli.documents import service as documents
from suanli.documents.models import Purpose
from suanli.kit.errors import NotFound, ValidationFailed
from tests.providers.helpers import attest_all, make_cluster, make_dc, new_key

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _files_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  reference_data: None) -> Iterator[None]:
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def people(member: Callable[..., Any]) -> dict[str, Any]:
    return {"provider": member(Role.PROVIDER, org="prov-dc"), "auditor": member(Role.AUDITOR),
            "other": member(Role.PROVIDER, org="other-dc")}


@pytest.fixture
def h800(client: TestClient, people: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    dc = make_dc(client, people["provider"].headers)
    key, public = new_key()
    return make_cluster(client, people["provider"].headers, dc["id"], model="h800-sxm",
                        nodes=1, key=public), key


def upload(client: TestClient, who: Any, cluster_id: int, *, name: str = "contract.pdf",
           data: bytes = PDF, kind: str = "purchase_record",
           when: str | None = "2023-08-21") -> Any:
    form = {"kind": kind} | ({"document_date": when} if when is not None else {})
    return client.post(f"/api/v1/providers/clusters/{cluster_id}/provenance",
                       files={"file": (name, data, "application/pdf")}, data=form,
                       headers=who.headers)


def _reasons(client: TestClient, who: Any, cluster_id: int) -> list[str]:
    body = client.get(f"/api/v1/providers/clusters/{cluster_id}", headers=who.headers).json()
    return [r["text"] for r in body["reasons"]]


def test_documents_then_approval_then_attestation_make_it_listable(
        client: TestClient, people: dict[str, Any], h800: tuple[dict[str, Any], Any]) -> None:
    cluster, key = h800
    provider, auditor = people["provider"], people["auditor"]
    response = upload(client, provider, cluster["id"])
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "purchase_record"
    assert response.json()["after_control_date"] is False
    assert _reasons(client, provider, cluster["id"]) == [
        "3A090.a part (TPP 15,832 >= 4,800): 1 provenance document(s) uploaded",
        "awaiting auditor decision", "not attested yet"]
    (entry,) = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()
    case_id = entry["open_cases"][0]["id"]
    decided = client.post(f"/api/v1/compliance/cases/{case_id}/decision",
                          headers=auditor.headers,
                          json={"decision": "approve", "reason": "contract predates controls"})
    assert decided.status_code == 200, decided.text
    assert _reasons(client, provider, cluster["id"]) == ["not attested yet"]
    attest_all(client, provider.headers, cluster, key)
    assert _reasons(client, provider, cluster["id"]) == []
    listed = client.get(f"/api/v1/providers/clusters/{cluster['id']}/provenance",
                        headers=auditor.headers).json()
    assert [d["filename"] for d in listed] == ["contract.pdf"]


def test_a_purchase_after_the_control_date_is_flagged(
        client: TestClient, people: dict[str, Any], h800: tuple[dict[str, Any], Any]) -> None:
    cluster, _ = h800
    response = upload(client, people["provider"], cluster["id"], when="2024-02-01")
    assert response.status_code == 201 and response.json()["after_control_date"] is True


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "selfie"}, "kind"),
    ({"when": None}, "document_date"),
    ({"when": "2999-01-01"}, "document_date"),
    ({"when": "yesterday"}, "document_date"),
    ({"name": "contract.exe"}, "file"),
    ({"data": b""}, "file"),
    ({"data": b"not a pdf at all"}, "file"),
])
def test_bad_upload_is_refused_naming_the_field_and_nothing_is_stored(
        client: TestClient, db: Session, people: dict[str, Any],
        h800: tuple[dict[str, Any], Any], change: dict[str, Any], field: str) -> None:
    cluster, _ = h800
    response = upload(client, people["provider"], cluster["id"], **change)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert documents.count_for(db, "cluster", cluster["id"], Purpose.PROVENANCE) == 0


def test_only_the_owner_uploads_and_only_for_controlled_foreign_parts(
        client: TestClient, people: dict[str, Any], h800: tuple[dict[str, Any], Any]) -> None:
    cluster, _ = h800
    stranger = upload(client, people["other"], cluster["id"])
    assert stranger.status_code == 404 and stranger.json()["field"] == "cluster_id"
    dc = make_dc(client, people["provider"].headers, name="Domestic")
    ascend = make_cluster(client, people["provider"].headers, dc["id"], model="ascend-910b")
    domestic = upload(client, people["provider"], ascend["id"])
    assert domestic.status_code == 422 and domestic.json()["field"] == "cluster_id"


def test_the_generic_document_route_attaches_to_own_clusters_only(
        client: TestClient, db: Session, people: dict[str, Any],
        h800: tuple[dict[str, Any], Any]) -> None:
    from suanli.auth import service as auth_service

    cluster, _ = h800
    owner = auth_service.principal_for(people["provider"].user, via="token")
    stranger = auth_service.principal_for(people["other"].user, via="token")
    document = documents.attach(db, owner, object_type="cluster", object_id=str(cluster["id"]),
                                filename="licence.pdf", data=PDF)
    assert document.purpose == Purpose.PROVENANCE
    assert documents.count_for(db, "cluster", cluster["id"], Purpose.PROVENANCE) == 1
    with pytest.raises(NotFound) as hidden:
        documents.attach(db, stranger, object_type="cluster", object_id=str(cluster["id"]),
                         filename="x.pdf", data=PDF)
    assert hidden.value.field == "object_id"
    with pytest.raises(ValidationFailed) as bad:
        documents.attach(db, owner, object_type="cluster", object_id="abc", filename="x.pdf",
                         data=PDF)
    assert bad.value.field == "object_id"
