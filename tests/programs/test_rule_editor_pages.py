"""The rule editor through HTTP: edits of the tree and the preview without JavaScript, the
live preview's JSON, and pickers offering cities and choices by name."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.programs.world import World

TREE = {"mode": "tree", "n_kind": "all",
        "n-0_field": "registered_city", "n-0_op": "in", "n-0_pick_shanghai": "on",
        "n-1_kind": "any",
        "n-1-0_field": "annual_revenue", "n-1-0_op": "ge", "n-1-0_value": "5000000.00",
        "n-1-1_field": "research_project_member", "n-1-1_op": "eq", "n-1-1_value": "yes",
        "n-2_not": "on", "n-2_field": "credit_record", "n-2_op": "eq",
        "n-2_value": "default_3y",
        "s_registered_city": "shanghai", "s_annual_revenue": "3000000.00",
        "s_research_project_member": "yes", "s_credit_record": "ok"}


def test_the_live_preview_evaluates_the_unsaved_form(client: TestClient, world: World) -> None:
    url = f"/programs/{world.program.id}/rules"
    headers = world.bureau.headers
    answer = client.post(f"{url}/preview", headers=headers, data=TREE)
    assert answer.status_code == 200
    body = answer.json()
    assert body["outcome"] == "pass" and body["label"] == "Eligible"
    assert [c["effect"] for c in body["checks"]] == ["pass", "fail", "pass", "pass"]
    negated = body["checks"][3]["text"]
    assert "excluded" in negated and "required" not in negated
    zh = client.post(f"{url}/preview", headers=headers | {"Accept-Language": "zh-CN"},
                     data=TREE | {"s_annual_revenue": "lots"}).json()
    assert zh["outcome"] == "invalid" and "sample.annual_revenue" in zh["errors"]
    unknown = client.post(f"{url}/preview", headers=headers,
                          data=TREE | {"n-0_pick_atlantis": "on"}).json()
    assert unknown["outcome"] == "invalid" and "rules.all[0].value" in unknown["errors"]
    stranger = client.post(f"{url}/preview", headers=world.other_bureau.headers, data=TREE)
    assert stranger.status_code == 404


def test_groups_are_added_removed_and_previewed_without_javascript(client: TestClient,
                                                                   world: World) -> None:
    url = f"/programs/{world.program.id}/rules"
    headers = world.bureau.headers
    page = client.post(url, headers=headers, data=TREE | {"action": "group:n-1"})
    assert page.status_code == 200
    nodes = re.findall(r'data-node="([^"]+)"', page.text)
    assert nodes == ["n", "n-0", "n-1", "n-1-0", "n-1-1", "n-1-2", "n-1-2-0", "n-2"]
    # nothing was saved; the preview shows the form's rules against the sample
    assert 'data-outcome="pass"' in page.text and 'data-effect="fail"' in page.text
    removed = client.post(url, headers=headers, data=TREE | {"action": "remove:n-1"})
    assert re.findall(r'data-node="([^"]+)"', removed.text) == ["n", "n-0", "n-1"]
    # pickers: cities and choices by name, ticked or selected as the form had them
    assert re.search(r'name="n-0_pick_shanghai" checked> Shanghai<', removed.text)
    assert re.search(r'<option value="default_3y" selected>a default in the last 3 years<',
                     removed.text)
    saved = client.post(url, headers=headers, data=TREE | {"action": "save"},
                        follow_redirects=False)
    assert saved.status_code == 303
    text = client.get(saved.headers["location"], headers=headers).text
    assert "registered city is one of Shanghai and (annual revenue ≥ 5 m CNY or " in text
    assert "credit record ≠ a default in the last 3 years" in text


def test_an_unknown_city_is_refused_at_its_picker(client: TestClient, world: World) -> None:
    url = f"/programs/{world.program.id}/rules"
    bad = client.post(url, headers=world.bureau.headers,
                      data=TREE | {"action": "save", "n-0_op": "eq", "n-0_value": "atlantis"})
    assert bad.status_code == 422
    assert re.search(r'id="n-0-error" role="alert">unknown city', bad.text)
    assert "rules.all[0].value" in bad.text
