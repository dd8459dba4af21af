"""A program admin sets capacity-grant terms through the API and the program form; bad
terms are refused naming the key; the E-Town preset carries them with its source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from suanli.cli import app
from suanli.config import get_settings
from tests.programs.world import World


@pytest.mark.parametrize(("terms", "field"), [
    ({"share": "0.2", "cap_cny": "1.00", "listing_days": 1, "extra": 1}, "capacity_grant.extra"),
    ({"share": "1.01", "cap_cny": None, "listing_days": 1}, "capacity_grant.share"),
    ({"share": "0.10", "cap_cny": "-3.00", "listing_days": 1}, "capacity_grant.cap_cny"),
    ({"share": "0.10", "cap_cny": None, "listing_days": 4000}, "capacity_grant.listing_days"),
])
def test_bad_terms_are_refused_naming_the_key(client: TestClient, world: World,
                                              terms: dict[str, object], field: str) -> None:
    url = f"/api/v1/programs/{world.program.id}"
    response = client.patch(url, headers=world.bureau.headers, json={"capacity_grant": terms})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert client.get(url, headers=world.bureau.headers).json()["capacity_grant"] is None


def test_terms_saved_canonical_and_cleared(client: TestClient, world: World) -> None:
    url = f"/api/v1/programs/{world.program.id}"
    saved = client.patch(url, headers=world.bureau.headers, json={"capacity_grant": {
        "share": "0.1", "cap_cny": "10000000", "listing_days": 180, "source": "policy"}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["capacity_grant"] == {"share": "0.10", "cap_cny": "10000000.00",
                                              "listing_days": 180, "source": "policy"}
    edit = client.get(f"/programs/{world.program.id}/edit", headers=world.bureau.headers)
    assert edit.status_code == 200 and "f-capacity_grant" in edit.text
    detail = client.get(f"/programs/{world.program.id}", headers=world.bureau.headers)
    assert 'data-testid="capacity-grant-terms"' in detail.text and "10 %" in detail.text
    cleared = client.patch(url, headers=world.bureau.headers, json={"capacity_grant": None})
    assert cleared.json()["capacity_grant"] is None


def test_the_etown_preset_makes_capacity_grants(client: TestClient, world: World) -> None:
    made = client.post("/api/v1/programs/presets/beijing-etown", headers=world.bureau.headers,
                       json={})
    assert made.status_code == 201, made.text
    program = made.json()
    grant = program["capacity_grant"]
    assert (grant["share"], grant["cap_cny"], grant["listing_days"]) == (
        "0.10", "10000000.00", 365)
    assert grant["source"].startswith("beijing.gov.cn/zhengce/zhengcefagui/202503/")
    assert "capacity_grant.listing_days" in program["illustrative_fields"]
    assert (program["rates"]["state"], program["budget_cny"], program["cap_per_firm_cny"]) == (
        "0.30", "100000000.00", "20000000.00")


@pytest.fixture
def database(fresh_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("SUANLI_DATABASE_URL", fresh_database)
    get_settings.cache_clear()
    yield fresh_database
    get_settings.cache_clear()


def test_the_sweep_command(database: str) -> None:
    bad = CliRunner().invoke(app, ["grants", "sweep", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "--now" in bad.stderr
    ran = CliRunner().invoke(app, ["grants", "sweep", "--now", "2027-01-01T00:00:00+08:00"])
    assert ran.exit_code == 0, ran.output
    assert "paid 0 grant(s)" in ran.stdout
