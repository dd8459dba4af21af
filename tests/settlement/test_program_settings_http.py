"""The settlement settings of a program through the API and the program editor page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.programs.test_api import BODY
from tests.programs.test_pages import FORM
from tests.programs.world import World, world

__all__ = ["world"]
SETTINGS = ("partial_vouchers", "subsidise_cancellation", "refuse_late_usage")


def test_the_api_takes_and_shows_the_settlement_settings(client: TestClient,
                                                        world: World) -> None:
    headers = world.bureau.headers
    made = client.post("/api/v1/programs", headers=headers, json=BODY).json()
    assert [made[s] for s in SETTINGS] == [False, False, False]  # the defaults
    changed = client.patch(f"/api/v1/programs/{made['id']}", headers=headers,
                           json={"partial_vouchers": True, "refuse_late_usage": True})
    assert changed.status_code == 200, changed.text
    assert [changed.json()[s] for s in SETTINGS] == [True, False, True]
    bad = client.patch(f"/api/v1/programs/{made['id']}", headers=headers,
                       json={"subsidise_cancellation": "perhaps"})
    assert bad.status_code == 422 and "subsidise_cancellation" in bad.text


def test_the_program_editor_saves_the_settlement_settings(client: TestClient,
                                                          world: World) -> None:
    headers = world.bureau.headers
    page = client.get("/programs/new", headers=headers)
    assert all(f'name="{s}"' in page.text for s in SETTINGS)
    made = client.post("/programs/new", headers=headers, follow_redirects=False,
                       data=FORM | {"subsidise_cancellation": "on"})
    assert made.status_code == 303
    pid = int(made.headers["location"].rstrip("/").split("/")[-1])
    read = client.get(f"/api/v1/programs/{pid}", headers=headers).json()
    assert [read[s] for s in SETTINGS] == [False, True, False]
    detail = client.get(made.headers["location"], headers=headers)
    assert "Vouchers subsidise cancellation fees for hours never run" in detail.text
