"""Tranche plans in the pure core: refused unless the parts sum to the whole; split exactly."""

from __future__ import annotations

import pytest

from suanli.kit.errors import ValidationFailed
from suanli.programs import tranches


def part(share: str, milestone: str = "report accepted") -> dict[str, str]:
    return {"share": share, "milestone": milestone}


def refused(raw: object) -> str | None:
    with pytest.raises(ValidationFailed) as caught:
        tranches.check(raw)
    return caught.value.field


def test_a_plan_whose_parts_do_not_sum_to_the_whole_is_refused() -> None:
    assert refused([part("0.50"), part("0.40")]) == "tranches"
    assert refused([part("0.60"), part("0.60")]) == "tranches"
    assert refused([part("1.00")]) == "tranches"  # one part is no plan
    assert refused([part("0.00"), part("1.00")]) == "tranches[0].share"
    assert refused([part("1.50"), part("-0.50")]) == "tranches[0].share"
    assert refused([part("0.50"), part("0.50", " ")]) == "tranches[1].milestone"
    assert refused([part("0.50"), {"share": "0.50", "when": "x"}]) == "tranches[1].when"
    assert refused("half now") == "tranches"
    assert tranches.check([]) == []
    assert tranches.check([part("0.3"), part("0.7", " final report ")]) == [
        part("0.30"), part("0.70", "final report")]


@pytest.mark.parametrize("value", [1, 99, 100_001, 1_000_000_00, 7_777_777])
def test_the_parts_sum_to_the_value_exactly(value: int) -> None:
    plan = [part("0.3333"), part("0.3333"), part("0.3334")]
    parts = tranches.split(value, plan)
    assert sum(parts) == value and all(p >= 0 for p in parts)
    assert parts[0] == value * 3333 // 10_000
    assert tranches.split(value, []) == [value]
