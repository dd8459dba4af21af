"""Providers' and auditors' pages through the forms, with errors shown in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from suanli.config import get_settings
from tests.conftest import login
from tests.providers.helpers import (
    attest_all,
    gpus,
    make_cluster,
    make_dc,
    new_key,
    post_attestation,
    signed,
)

pytestmark = pytest.mark.usefixtures("reference_data")

DC_FORM = {"name": "Horinger Hall 3", "name_zh": "", "hub_id": "im-horinger", "city_id": "",
           "operator_type": "commercial", "pue": "1.14", "green_share": "0.7", "racks": "240"}


def _post(client: TestClient, url: str, data: dict[str, str], **kwargs: Any) -> Any:
    return client.post(url, data={**data, "csrf_token": client.cookies.get("suanli_csrf")},
                       follow_redirects=False, **kwargs)


@pytest.fixture
def provider(client: TestClient, member: Callable[..., Any]) -> Any:
    who = member(Role.PROVIDER, org="pages-dc")
    login(client, who.user.username)
    client.get("/providers/data-centres")
    return who


def test_provider_registers_a_data_centre_and_a_cluster(client: TestClient,
                                                        provider: Any) -> None:
    assert _post(client, "/providers/data-centres", DC_FORM).status_code == 303
    page = client.get("/providers/data-centres").text
    assert "Horinger Hall 3" in page and "<td>Horinger cluster</td>" in page  # by name
    dc_id = client.get("/api/v1/providers/data-centres", headers=provider.headers).json()[0]["id"]
    _, public = new_key()
    response = _post(client, "/providers/clusters", {
        "data_centre_id": str(dc_id), "name": "HG-L20", "accelerator_model": "l20",
        "nodes": "2", "gpus_per_node": "8", "interconnect": "RoCE", "attestation_key": public})
    assert response.status_code == 303, response.text
    detail = client.get(response.headers["location"]).text
    assert 'data-status="pending"' in detail and "not attested yet" in detail
    assert "suanli-agent attest --cluster" in detail
    listing = client.get("/providers/clusters").text
    assert "0 of 16 GPUs attested" in listing


@pytest.mark.parametrize(("change", "field"), [
    ({"pue": "0.8"}, "pue"), ({"racks": "0"}, "racks"), ({"green_share": "2"}, "green_share"),
    ({"hub_id": "", "city_id": ""}, "hub_id"), ({"name": ""}, "name"),
    ({"time_zone": "China/Urumqi"}, "time_zone"),
])
def test_bad_data_centre_form_shows_the_field_error(client: TestClient, provider: Any,
                                                    change: dict[str, str], field: str) -> None:
    response = _post(client, "/providers/data-centres", {**DC_FORM, **change})
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert client.get("/api/v1/providers/data-centres", headers=provider.headers).json() == []


def test_the_form_sets_the_time_zone_of_the_centres_exports(client: TestClient,
                                                             provider: Any) -> None:
    assert 'name="time_zone"' in client.get("/providers/data-centres").text
    form = {**DC_FORM, "time_zone": "Asia/Urumqi"}
    assert _post(client, "/providers/data-centres", form).status_code == 303
    [dc] = client.get("/api/v1/providers/data-centres", headers=provider.headers).json()
    assert dc["time_zone"] == "Asia/Urumqi"
    assert _post(client, "/providers/data-centres", {**DC_FORM, "name": "B"}).status_code == 303
    zones = {d["name"]: d["time_zone"] for d in
             client.get("/api/v1/providers/data-centres", headers=provider.headers).json()}
    assert zones["B"] is None  # empty: the exports' default, Asia/Shanghai


def test_bad_cluster_form_shows_the_field_error(client: TestClient, provider: Any) -> None:
    dc = make_dc(client, provider.headers)
    response = _post(client, "/providers/clusters", {
        "data_centre_id": str(dc["id"]), "name": "x", "accelerator_model": "h999",
        "nodes": "1", "gpus_per_node": "8", "interconnect": "", "attestation_key": ""})
    assert response.status_code == 422 and 'id="e-accelerator_model"' in response.text
    response = _post(client, "/providers/clusters", {
        "data_centre_id": str(dc["id"]), "name": "x", "accelerator_model": "h20",
        "nodes": "-1", "gpus_per_node": "8", "interconnect": "", "attestation_key": ""})
    assert response.status_code == 422 and 'id="e-nodes"' in response.text


def test_provider_registers_a_key_on_the_cluster_page(client: TestClient,
                                                      provider: Any) -> None:
    dc = make_dc(client, provider.headers)
    cluster = make_cluster(client, provider.headers, dc["id"])
    bad = _post(client, f"/providers/clusters/{cluster['id']}/key", {"attestation_key": "xx"})
    assert bad.status_code == 422 and 'id="e-attestation_key"' in bad.text
    _, public = new_key()
    ok = _post(client, f"/providers/clusters/{cluster['id']}/key", {"attestation_key": public})
    assert ok.status_code == 303
    assert public in client.get(f"/providers/clusters/{cluster['id']}").text


def test_provider_uploads_provenance_on_the_cluster_page(
        client: TestClient, provider: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUANLI_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        dc = make_dc(client, provider.headers)
        cluster = make_cluster(client, provider.headers, dc["id"], model="h800-sxm")
        url = f"/providers/clusters/{cluster['id']}/provenance"
        missing = _post(client, url, {"kind": "purchase_record", "document_date": "2023-08-01"})
        assert missing.status_code == 422 and 'id="e-file"' in missing.text
        ok = _post(client, url, {"kind": "purchase_record", "document_date": "2023-08-01"},
                   files={"file": ("contract.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
        assert ok.status_code == 303, ok.text
        page = client.get(f"/providers/clusters/{cluster['id']}").text
        assert "contract.pdf" in page and "1 provenance document(s) uploaded" in page
    finally:
        get_settings.cache_clear()


def test_auditor_queue_case_page_and_decision_form(client: TestClient,
                                                   member: Callable[..., Any]) -> None:
    owner = member(Role.PROVIDER, org="queue-dc")
    dc = make_dc(client, owner.headers)
    key, public = new_key()
    cluster = make_cluster(client, owner.headers, dc["id"], model="h20", nodes=1, key=public)
    attest_all(client, owner.headers, cluster, key)
    post_attestation(client, owner.headers, cluster["id"], signed(
        cluster["id"], key, gpus("h100-sxm", 8, "bad"), hostname="node-00"))
    auditor = member(Role.AUDITOR)
    login(client, auditor.user.username)
    queue = client.get("/compliance").text
    assert "attestation mismatch: claims h20, reports h100-sxm" in queue
    case_id = client.get("/api/v1/compliance/queue", headers=auditor.headers).json()[0][
        "open_cases"][0]["id"]
    page = client.get(f"/compliance/cases/{case_id}").text
    assert "NVIDIA H100 80GB HBM3" in page and 'id="decide"' in page
    empty = _post(client, f"/compliance/cases/{case_id}/decision",
                  {"decision": "approve", "reason": " "})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    unconfirmed = _post(client, f"/compliance/cases/{case_id}/decision",
                        {"decision": "reject", "reason": "H100s sold as H20"})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.text
    done = _post(client, f"/compliance/cases/{case_id}/decision",
                 {"decision": "reject", "reason": "H100s sold as H20", "confirm": "yes"})
    assert done.status_code == 303
    closed = client.get(done.headers["location"]).text
    assert 'data-testid="decision"' in closed and "H100s sold as H20" in closed
    assert 'data-status="rejected"' in client.get(f"/providers/clusters/{cluster['id']}").text


def test_hold_form_on_the_cluster_page(client: TestClient, member: Callable[..., Any]) -> None:
    owner = member(Role.PROVIDER, org="hold-dc")
    dc = make_dc(client, owner.headers)
    cluster = make_cluster(client, owner.headers, dc["id"])
    auditor = member(Role.AUDITOR)
    login(client, auditor.user.username)
    assert 'id="hold"' in client.get(f"/providers/clusters/{cluster['id']}").text
    empty = _post(client, f"/compliance/clusters/{cluster['id']}/hold", {"reason": ""})
    assert empty.status_code == 422
    held = _post(client, f"/compliance/clusters/{cluster['id']}/hold", {"reason": "audit"})
    assert held.status_code == 303
    assert 'data-status="suspended"' in client.get(f"/providers/clusters/{cluster['id']}").text
