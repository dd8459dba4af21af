"""The city presets encode their published tiers and terms, each figure with its source,
and the README's table names every published preset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from suanli.programs import presets, tiers
from suanli.programs.rates import parse_rate

README = Path(__file__).parents[2] / "README.md"


def choice(key: str, **facts: Any) -> tiers.TierChoice:
    values = presets.get(key).values  # type: ignore[union-attr]
    base = tiers.RateTerms(values["rate_state_bp"], values["rate_commercial_bp"],
                           values["domestic_bonus_bp"], values["max_rate_bp"],
                           values["cap_per_firm_fen"])
    checked = tiers.check(values["tiers"], domestic_bonus_bp=values["domestic_bonus_bp"],
                          voucher_min_fen=values["voucher_min_fen"],
                          funders=len(values["funders"]))
    return tiers.choose(base, tiers.parse(checked), facts)


def test_published_tiers_read_from_the_csv() -> None:
    rows = {r["city"]: r for r in presets._read("programs.csv")}
    shenzhen = choice("shenzhen", company_age_years="2.00")
    assert shenzhen.terms.rate_commercial_bp == parse_rate(rows["shenzhen"]["startup_rate"])
    assert choice("shenzhen", company_age_years="9.00").terms.rate_state_bp == 5000
    lead = choice("langfang", project_lead="national")
    assert (lead.terms.tier, lead.terms.rate_state_bp) == ("project-lead", 6000)
    assert choice("langfang", project_lead="none").terms.rate_state_bp == 5000
    lab = choice("chengdu", organisation_type="university")
    assert (lab.terms.cap_per_firm_fen, lab.terms.rate_state_bp) == (1_500_000_00, 3000)
    assert choice("chengdu", organisation_type="company").terms.cap_per_firm_fen \
        == 3_000_000_00
    young = choice("shanghai", company_age_years="1.00", headcount=20)
    assert young.terms.rate_state_bp == 10_000
    # the city pays 30 and the district 70 of the early-stage tier, for at most a year
    assert (young.terms.funder_shares_bp, young.terms.max_days) == ((3000, 7000), 365)
    old = choice("shanghai", company_age_years="9.00", headcount=20)
    assert (old.terms.rate_state_bp, old.terms.max_rate_bp) == (3000, 3000)
    assert (old.terms.tier, old.terms.funder_shares_bp) == ("city-30", (10_000, 0))
    for key, rate, cap in (("shanghai-models", 5000, 5_000_000_00),
                           ("hangzhou-models", 3000, None)):
        values = presets.get(key).values  # type: ignore[union-attr]
        assert (values["voucher_unit"], values["rate_state_bp"]) == ("tokens", rate)
        if cap is not None:
            assert values["cap_per_firm_fen"] == cap
            assert "cap_per_firm_fen" not in values["illustrative_fields"]


def test_every_tier_has_its_source_and_beijings_terms() -> None:
    for preset in presets.all_presets():
        for tier in preset.values.get("tiers", []):
            assert tier["source"].startswith(preset.source), (preset.key, tier)
    beijing = presets.get("beijing").values  # type: ignore[union-attr]
    assert beijing["max_contract_days"] == 365 and beijing["no_affiliated_providers"]
    assert "contracts_signed_from" in beijing["illustrative_fields"]


def test_the_readme_table_names_every_published_preset() -> None:
    text = README.read_text("utf-8")
    table = text.split("### What the city presets encode", 1)[1].split("\n\n", 3)[2]
    for preset in presets.all_presets():
        if preset.published:
            assert f"\n| {preset.key} |" in table, preset.key
