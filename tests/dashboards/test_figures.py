"""Utilisation and volume from plain spans and contracts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.dashboards.figures import HubUse, Span, overall, utilisation, volume

T0 = datetime(2026, 11, 28, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_spans_are_clipped_to_the_window_and_grouped_by_hub() -> None:
    listed = [Span("qingyang", 8, h(-10), h(10)),  # 8 GPUs x 5 h inside [0, 5)
              Span("qingyang", 4, h(2), h(3)),  # 4 x 1
              Span(None, 2, h(-5), h(-1)),  # before the window: nothing
              Span("wuhu", 1, h(4), h(20))]  # 1 x 1
    booked = [Span("qingyang", 8, h(1), h(3)), Span("wuhu", 1, h(-3), h(30))]
    uses = utilisation(listed, booked, start=h(0), end=h(5))
    assert uses == [HubUse("qingyang", Decimal("44.0"), Decimal("16.0")),
                    HubUse("wuhu", Decimal("1.0"), Decimal("5.0"))]
    assert uses[0].percent == Decimal("36.4")
    assert uses[1].percent == Decimal("500.0")  # booked beyond what is listed shows as such
    assert overall(uses).percent == Decimal("46.7")


def test_city_data_centres_come_last_and_nothing_listed_is_zero_percent() -> None:
    uses = utilisation([Span(None, 2, h(0), h(1)), Span("gansu", 1, h(0), h(1))],
                       [Span("zhongwei", 1, h(0), h(1))], start=h(0), end=h(1))
    assert [u.hub for u in uses] == ["gansu", "zhongwei", "city"]
    assert uses[1].percent == Decimal(0)


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="end after"):
        utilisation([], [], start=h(1), end=h(1))


@given(st.lists(st.tuples(st.integers(1, 64), st.integers(-48, 48), st.integers(1, 48)),
                max_size=20))
def test_booked_equal_to_listed_is_a_hundred_percent(rows: list[tuple[int, int, int]]) -> None:
    spans = [Span("hub", g, h(s), h(s + d)) for g, s, d in rows]
    uses = utilisation(spans, spans, start=h(0), end=h(24))
    for use in uses:
        assert use.listed_gpu_hours == use.booked_gpu_hours
        assert use.percent == Decimal(100)
    expected = sum(g * max(0, min(s + d, 24) - max(s, 0)) for g, s, d in rows)
    assert sum(u.listed_gpu_hours for u in uses) == expected


def test_volume_adds_up_and_weights_the_price_by_gpu_hours() -> None:
    v = volume([(10, 100_00, 40_00), (30, 600_00, 0)])
    assert (v.contracts, v.gpu_hours, v.value_fen, v.subsidy_fen) == (2, 40, 700_00, 40_00)
    assert v.average_price_fen == 17_50
    assert volume([]).average_price_fen == 0
