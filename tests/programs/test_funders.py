"""Co-funding's pure core: funders' validation and the split of fen by share."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.kit.errors import ValidationFailed
from suanli.programs import funders


@st.composite
def shares(draw: st.DrawFn) -> list[int]:
    """2 to 6 positive basis-point shares summing to 10000."""
    n = draw(st.integers(2, 6))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=n - 1, max_size=n - 1,
                                unique=True)))
    edges = [0, *cuts, 10_000]
    return [b - a for a, b in pairwise(edges)]


@given(total=st.integers(-10**12, 10**12), split=shares())
def test_parts_sum_to_the_whole_and_stay_within_a_fen(total: int, split: list[int]) -> None:
    parts = funders.allocate(total, split)
    assert sum(parts) == total
    for part, share in zip(parts, split, strict=True):
        assert abs(part - Fraction(total * share, 10_000)) < 1


@given(split=shares(), data=st.data())
def test_a_return_never_exceeds_what_a_funder_put_in(split: list[int],
                                                    data: st.DataObject) -> None:
    value = data.draw(st.integers(0, 10**9))
    caps = funders.allocate(value, split)
    back = data.draw(st.integers(0, value))
    parts = funders.allocate_within(back, split, caps)
    assert sum(parts) == back
    assert all(0 <= p <= c for p, c in zip(parts, caps, strict=True))


def test_a_return_beyond_every_cap_is_still_placed_whole() -> None:
    assert funders.allocate_within(10, [5000, 5000], [3, 2]) == [6, 4]
    assert funders.allocate_within(4, [5000, 5000], [3, 0]) == [4, 0]


def test_henan_one_to_one_split_of_an_odd_fen() -> None:
    assert funders.allocate(3, [5000, 5000]) == [2, 1]
    assert funders.allocate(10_000_001, [3000, 7000]) == [3_000_000, 7_000_001]


def test_canonical_funders() -> None:
    out = funders.check([{"name": " Henan ", "label": "province", "share": "0.50"},
                         {"name": "Zhengzhou", "share": "0.5"}])
    assert out == [{"name": "Henan", "label": "province", "share": "0.50"},
                   {"name": "Zhengzhou", "label": "", "share": "0.50"}]
    assert funders.check([]) == []


@pytest.mark.parametrize(("raw", "field"), [
    ([{"name": "a", "share": "0.5"}, {"name": "b", "share": "0.4"}], "funders"),
    ([{"name": "a", "share": "0.5"}, {"name": "b", "share": "0.6"}], "funders"),
    ([{"name": "a", "share": "1"}], "funders"),
    ([{"name": "a", "share": "1"}, {"name": "b", "share": "0"}], "funders[1].share"),
    ([{"name": "a", "share": "-0.5"}, {"name": "b", "share": "1.5"}], "funders[0].share"),
    ([{"name": "a", "share": "1.5"}, {"name": "b", "share": "-0.5"}], "funders[0].share"),
    ([{"name": "a", "share": 0.5}, {"name": "b", "share": "0.5"}], "funders[0].share"),
    ([{"name": "", "share": "0.5"}, {"name": "b", "share": "0.5"}], "funders[0].name"),
    ([{"name": "a", "share": "0.5"}, {"name": "b", "share": "0.5", "x": 1}], "funders[1].x"),
    ("half", "funders"),
])
def test_bad_funders_are_refused_naming_the_field(raw: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        funders.check(raw)
    assert caught.value.field == field
