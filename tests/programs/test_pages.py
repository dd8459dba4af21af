"""The program editor, the rule editor and the budget dashboard, through HTTP."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.programs.world import World

FORM = {
    "city": "shanghai", "name": "Training vouchers", "year": "2026",
    "budget_cny": "30000000.00", "voucher_min_cny": "1000000.00",
    "voucher_max_cny": "2000000.00", "default_value_cny": "", "rate_state": "0.50",
    "rate_commercial": "0.30", "domestic_bonus": "0.10", "max_rate": "0.60",
    "provider_mode": "all", "provider_slugs": "", "cap_per_firm_cny": "2000000.00",
    "validity_days": "365", "window_opens": "2026-01-01", "window_closes": "2027-12-31",
    "redemption_mode": "provider_claims", "auto_approve": "on",
}


def test_the_program_editor_shows_errors_in_place(client: TestClient, world: World) -> None:
    headers = world.bureau.headers
    page = client.get("/programs/new?preset=hangzhou", headers=headers)
    assert page.status_code == 200 and 'value="Hangzhou compute vouchers"' in page.text
    bad = client.post("/programs/new", headers=headers,
                      data=FORM | {"budget_cny": "lots", "rate_state": "2"})
    assert bad.status_code == 422
    assert 'id="f-budget_cny"' in bad.text and 'aria-describedby="e-budget_cny"' in bad.text
    assert 'id="f-provider_slugs"' in bad.text and "checked" not in bad.text.split(
        'id="f-provider_slugs"')[1].split("</fieldset>")[0]  # as ticked: none
    over = client.post("/programs/new", headers=headers,
                       data=FORM | {"voucher_max_cny": "90000000.00"})
    assert over.status_code == 422 and 'id="e-voucher_max_cny"' in over.text
    made = client.post("/programs/new", headers=headers, data=FORM, follow_redirects=False)
    assert made.status_code == 303
    detail = client.get(made.headers["location"], headers=headers)
    assert "Training vouchers" in detail.text and 'data-testid="budget-panel"' in detail.text
    assert "30,000,000.00" in detail.text


def test_the_rule_editor_refuses_a_rule_that_can_never_pass(client: TestClient,
                                                           world: World) -> None:
    url = f"/programs/{world.program.id}/rules"
    headers = world.bureau.headers
    page = client.get(url, headers=headers)  # nested groups: edited in place, as groups
    assert page.status_code == 200 and 'id="rules-json-form"' in page.text
    assert 'name="n_kind"' in page.text and 'name="n-1_kind"' in page.text
    rows = {"mode": "tree", "action": "save", "n_kind": "all",
            "n-0_field": "annual_revenue", "n-0_op": "ge", "n-0_value": "5000000.00",
            "n-1_field": "", "n-1_op": "ge", "n-1_value": "",
            "n-2_field": "annual_revenue", "n-2_op": "lt", "n-2_value": "1000000.00"}
    bad = client.post(url, headers=headers, data=rows)
    assert bad.status_code == 422
    assert "rules.all[1].value" in bad.text  # the path of the offending node
    assert re.search(r'id="n-2-error" role="alert">[^<]*can never pass', bad.text)
    unknown = client.post(url, headers=headers,
                          data={"mode": "json", "rules_json": '{"all": [{"field": "x", '
                                                              '"op": "eq", "value": 1}]}'})
    assert unknown.status_code == 422 and "rules.all[0].field" in unknown.text
    broken = client.post(url, headers=headers, data={"mode": "json", "rules_json": "{oops"})
    assert broken.status_code == 422 and "not valid JSON" in broken.text
    good = client.post(url, headers=headers, follow_redirects=False,
                       data=rows | {"n-2_field": "registered_city", "n-2_op": "eq",
                                    "n-2_value": "shanghai", "n-1_field": "headcount",
                                    "n-1_op": "le", "n-1_value": "300", "n-1_not": "on"})
    assert good.status_code == 303
    saved = client.get(good.headers["location"], headers=headers)
    assert 'name="n-2_field"' in saved.text and 'name="n-1_kind"' not in saved.text
    # a negated criterion reads as its opposite, not as "not (...)"
    assert "annual revenue ≥ 5 m CNY and headcount &gt; 300 and registered city = " \
           "Shanghai" in saved.text
    assert client.get(url, headers=world.other_bureau.headers).status_code == 404


def test_publish_fund_and_the_budget_dashboard(client: TestClient, world: World) -> None:
    headers = world.bureau.headers
    pid = world.program.id
    too_much = client.post(f"/programs/{pid}/funding", headers=headers,
                           data={"amount_cny": "-99000000.00"})
    assert too_much.status_code == 409 and 'id="e-amount_cny"' in too_much.text
    funded = client.post(f"/programs/{pid}/funding", headers=headers, follow_redirects=False,
                         data={"amount_cny": "5000000.00", "reason": "second tranche"})
    assert funded.status_code == 303
    dashboard = client.get("/programs/budget", headers=headers)
    assert dashboard.status_code == 200
    assert 'data-testid="budget-chart"' in dashboard.text and "15,000,000.00" in dashboard.text
    assert 'data-segment="unissued"' in dashboard.text
    closed = client.post(f"/programs/{pid}/status", headers=headers, data={"status": "closed"},
                         follow_redirects=False)
    assert closed.status_code == 303
    listing = client.get("/programs", headers=world.buyer.headers)
    assert "Test compute vouchers" in listing.text
    assert client.get("/programs/budget", headers=world.buyer.headers).status_code == 403
