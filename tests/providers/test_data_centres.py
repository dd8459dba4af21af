"""Registering data centres: every rule names its field; other organisations see nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from suanli.auth.roles import Role
from tests.providers.helpers import DC, make_dc

pytestmark = pytest.mark.usefixtures("reference_data")


def test_provider_registers_a_data_centre_in_a_hub(client: TestClient,
                                                   member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER)
    dc = make_dc(client, provider.headers)
    assert dc["location"] == "gs-qingyang" and dc["organisation_id"] == provider.org_id
    assert dc["pue"] == 1.15 and dc["green_share"] == 0.62 and dc["operator_type"] == "state"
    audit = client.get(f"/api/v1/audit?object_type=data_centre&object_id={dc['id']}",
                       headers=member(Role.AUDITOR).headers).json()["items"]
    assert audit[0]["action"] == "data_centre.register"


def test_a_data_centre_outside_the_hubs_is_located_by_its_city(
        client: TestClient, member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER)
    dc = make_dc(client, provider.headers, hub_id=None, city_id="shanghai",
                 operator_type="commercial", pue="1.30")
    assert dc["location"] == "city:shanghai"


@pytest.mark.parametrize(("change", "field"), [
    ({"hub_id": "mars-1"}, "hub_id"),
    ({"hub_id": None, "city_id": "atlantis"}, "city_id"),
    ({"hub_id": None}, "hub_id"),
    ({"operator_type": "private"}, "operator_type"),
    ({"pue": "0.95"}, "pue"),
    ({"pue": "3.5"}, "pue"),
    ({"green_share": "1.2"}, "green_share"),
    ({"green_share": "-0.1"}, "green_share"),
    ({"racks": 0}, "racks"),
    ({"racks": -4}, "racks"),
    ({"name": "  "}, "name"),
    ({"organisation_id": 999999}, "organisation_id"),
])
def test_bad_data_centre_is_refused_naming_the_field_and_nothing_is_written(
        client: TestClient, member: Callable[..., Any], change: dict[str, Any],
        field: str) -> None:
    provider = member(Role.PROVIDER)
    response = client.post("/api/v1/providers/data-centres", json={**DC, **change},
                           headers=provider.headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["field"] == field
    assert client.get("/api/v1/providers/data-centres", headers=provider.headers).json() == []


def test_duplicate_name_is_a_conflict(client: TestClient, member: Callable[..., Any]) -> None:
    provider = member(Role.PROVIDER)
    make_dc(client, provider.headers)
    again = client.post("/api/v1/providers/data-centres", json=DC, headers=provider.headers)
    assert again.status_code == 409 and again.json()["field"] == "name"


def test_providers_see_only_their_own_data_centres(client: TestClient,
                                                   member: Callable[..., Any]) -> None:
    alpha, beta = member(Role.PROVIDER, org="alpha-dc"), member(Role.PROVIDER, org="beta-dc")
    dc = make_dc(client, alpha.headers)
    assert client.get("/api/v1/providers/data-centres", headers=beta.headers).json() == []
    hidden = client.get(f"/api/v1/providers/data-centres/{dc['id']}", headers=beta.headers)
    assert hidden.status_code == 404 and hidden.json()["field"] == "dc_id"
    for reader in (member(Role.AUDITOR), member(Role.PLATFORM_ADMIN)):
        seen = client.get("/api/v1/providers/data-centres", headers=reader.headers).json()
        assert [d["id"] for d in seen] == [dc["id"]]


def test_a_provider_cannot_register_for_another_organisation(
        client: TestClient, member: Callable[..., Any]) -> None:
    alpha, beta = member(Role.PROVIDER, org="alpha-dc"), member(Role.PROVIDER, org="beta-dc")
    response = client.post("/api/v1/providers/data-centres",
                           json={**DC, "organisation_id": beta.org_id}, headers=alpha.headers)
    assert response.status_code == 403 and response.json()["field"] == "organisation_id"
    assert client.get("/api/v1/providers/data-centres", headers=beta.headers).json() == []
