"""The pure rules of capacity grants: terms refused naming their key, the most a purchase
earns (share rounded down, within the cap), requests refused naming the field, and what
counts as capacity leaving the platform."""

from __future__ import annotations

from typing import Any

import pytest

from suanli.grants.listing import ListingFacts, problem
from suanli.kit.errors import ValidationFailed
from suanli.programs import grant_terms
from suanli.programs.presets import get

ETOWN = {"share": "0.10", "cap_cny": "10000000.00", "listing_days": 365}


@pytest.mark.parametrize(("raw", "field"), [
    ({**ETOWN, "share": "1.5"}, "capacity_grant.share"),
    ({**ETOWN, "share": "0"}, "capacity_grant.share"),
    ({**ETOWN, "share": 0.1}, "capacity_grant.share"),
    ({**ETOWN, "cap_cny": "0.00"}, "capacity_grant.cap_cny"),
    ({**ETOWN, "cap_cny": "-1.00"}, "capacity_grant.cap_cny"),
    ({**ETOWN, "listing_days": -1}, "capacity_grant.listing_days"),
    ({**ETOWN, "listing_days": "365"}, "capacity_grant.listing_days"),
    ({**ETOWN, "bonus": "0.1"}, "capacity_grant.bonus"),
    ("0.10", "capacity_grant"),
])
def test_bad_terms_are_refused_naming_the_key(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        grant_terms.check(raw)
    assert caught.value.field == field


def test_terms_are_canonical_and_empty_means_none() -> None:
    assert grant_terms.check({"share": "0.1", "cap_cny": "10000000", "listing_days": 30}) == {
        "share": "0.10", "cap_cny": "10000000.00", "listing_days": 30}
    assert grant_terms.check(None) is None and grant_terms.check({}) is None


def test_the_most_is_the_share_rounded_down_within_the_cap() -> None:
    terms = grant_terms.parse(ETOWN)
    assert terms is not None
    assert grant_terms.most_for(terms, 12_345_67) == 1_234_56  # 123,456.70 fen -> down
    assert grant_terms.most_for(terms, 200_000_000_00) == 10_000_000_00  # the cap
    assert grant_terms.check_request(terms, purchase_fen=50_000_00, grant_fen=None) == 5_000_00


@pytest.mark.parametrize(("purchase", "grant", "field"), [
    (0, None, "purchase_cny"), (-100, None, "purchase_cny"), (100_00, 0, "grant_cny"),
    (100_00, -1, "grant_cny"), (100_00, 10_01, "grant_cny"),  # above 10 %
    (200_000_000_00, 10_000_000_01, "grant_cny"),  # above the 10 m cap
])
def test_requests_beyond_the_terms_are_refused_naming_the_field(purchase: int, grant: int | None,
                                                                 field: str) -> None:
    terms = grant_terms.parse(ETOWN)
    assert terms is not None
    with pytest.raises(ValidationFailed) as caught:
        grant_terms.check_request(terms, purchase_fen=purchase, grant_fen=grant)
    assert caught.value.field == field


def test_capacity_leaves_when_unlistable_unoffered_or_smaller() -> None:
    listed = ListingFacts(cluster_status="listable", live_offers=1, gpus_attested=16,
                          gpus_granted=16)
    assert problem(listed) is None
    assert problem(ListingFacts("suspended", 1, 16, 16)).key == "not_listable"  # type: ignore[union-attr]
    assert problem(ListingFacts("listable", 0, 16, 16)).key == "not_offered"  # type: ignore[union-attr]
    assert problem(ListingFacts("listable", 1, 8, 16)).key == "gpus_reduced"  # type: ignore[union-attr]
    assert problem(ListingFacts("listable", 1, 8, None)) is None  # before approval


def test_the_etown_preset_encodes_the_grant_with_its_source() -> None:
    preset = get("beijing-etown")
    assert preset is not None
    grant = preset.values["capacity_grant"]
    assert (grant["share"], grant["cap_cny"]) == ("0.10", "10000000.00")
    assert "t20250303_4024044" in grant["source"] and "10%" in grant["source"]
    assert "capacity_grant.listing_days" in preset.values["illustrative_fields"]


def test_the_qingyang_preset_pays_the_supplier_first() -> None:
    preset = get("qingyang")
    assert preset is not None
    assert preset.values["redemption_mode"] == "supplier_first"
