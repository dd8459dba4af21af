"""Report helpers: how figures and deltas read, and the policy echoed with money as text."""

from __future__ import annotations

from suanli.simulate.report import delta, html_page, policy_json, show
from tests.simulate.helpers import variant


def test_figures_read_as_people_expect() -> None:
    assert show(0.1234, "ratio") == "12.3 %"
    assert show("20000000.00", "cny") == "20,000,000.00"
    assert show(1234, "count") == "1,234"
    assert show(None, "cny") == "-"


def test_deltas_are_b_minus_a_with_a_sign() -> None:
    assert delta(0.661, 0.747, "ratio") == "+8.6 pp"
    assert delta("4030525.61", "4657273.00", "cny") == "+626,747.39"
    assert delta(342, 328, "count") == "-14"
    assert delta(None, 3, "count") == "-"


def test_the_policy_is_echoed_with_money_as_decimal_strings() -> None:
    policy = policy_json(variant().policy)
    assert policy["budget_cny"] == "3000000.00"
    assert policy["voucher_value_cny"] == "300000.00"
    assert policy["eligibility"]["thresholds"]["min_revenue_cny"] == "1000000.00"
    assert policy["rates"] == {"state": "0.40", "commercial": "0.30"}


def test_the_page_escapes_what_it_shows() -> None:
    summary = {"startups": {}, "subsidy": {}, "delivery": {}, "prices": {},
               "unmet": {"orders": {}}, "utilisation_by_hub": {}, "energy": {},
               "clearing": {}, "weekly": []}
    doc = {"title": "<b>x</b>", "notes": ["a & b"], "runs": [
        {"label": "<i>", "description": "d", "seed": 1, "weeks": 1,
         "world_fingerprint": "f" * 64, "summary": summary}]}
    page = html_page(doc, [])
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "a &amp; b" in page and "<script" not in page
