"""East Data West Computing clusters, cities and latency estimates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.catalog.accelerators import CatalogError
from suanli.catalog.network import (
    City,
    Hub,
    estimate_latency_ms,
    great_circle_km,
    latency_matrix,
    load_cities,
    load_hubs,
    parse_cities,
    parse_hubs,
)

CITY_HEADER = "id,name,name_zh,lat,lon\n"
HUB_HEADER = "id,name,hub,province,side,pue_target,lat,lon,role,source\n"
HUB_ROW = "h1,H1 cluster,Hub,Prov,east,1.25,30,120,inference,approval\n"


def hub(hub_id: str) -> Hub:
    return next(h for h in load_hubs() if h.id == hub_id)


def city(city_id: str) -> City:
    return next(c for c in load_cities() if c.id == city_id)


def latency(a: City | Hub, b: City | Hub) -> int:
    return estimate_latency_ms(a.lat, a.lon, b.lat, b.lon)


def test_ten_clusters_of_eight_hubs_with_pue_targets_and_sources() -> None:
    hubs = load_hubs()
    assert len(hubs) == 10
    assert len({h.hub for h in hubs}) == 8
    assert all(h.source for h in hubs)
    for h in hubs:
        assert h.pue_target == (Decimal("1.25") if h.side == "east" else Decimal("1.20"))
    assert {h.id for h in hubs if h.side == "west"} == {
        "im-horinger",
        "gz-guian",
        "gs-qingyang",
        "nx-zhongwei",
    }


def test_cities_are_loaded_with_chinese_names() -> None:
    cities = load_cities()
    assert len(cities) == 19
    assert city("shanghai").name_zh == "上海"
    assert city("xian").name == "Xi'an"


def test_estimates_are_plausible_against_the_2023_targets() -> None:
    shanghai = city("shanghai")
    assert latency(shanghai, hub("yrd-demo-zone")) == 2  # same metro: target 1 ms
    assert latency(city("beijing"), hub("bth-zhangjiakou")) <= 5  # within a region: 5 ms
    # Ordinary routes east to west; the 20 ms target is for the direct-connect network.
    assert 25 <= latency(shanghai, hub("gs-qingyang")) <= 35
    assert latency(city("qingyang"), hub("gs-qingyang")) == 1  # same city, never 0


def test_great_circle_distance() -> None:
    shanghai, qingyang = city("shanghai"), hub("gs-qingyang")
    assert great_circle_km(shanghai.lat, shanghai.lon, qingyang.lat, qingyang.lon) == pytest.approx(
        1375, abs=5
    )


@pytest.mark.parametrize(
    "coords", [(91.0, 0.0, 0.0, 0.0), (0.0, 181.0, 0.0, 0.0), (0.0, 0.0, float("nan"), 0.0)]
)
def test_impossible_coordinates_are_refused(coords: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="outside"):
        estimate_latency_ms(*coords)


lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)


@given(lats, lons, lats, lons)
def test_estimate_is_symmetric_and_at_least_one(a: float, b: float, c: float, d: float) -> None:
    ms = estimate_latency_ms(a, b, c, d)
    assert ms >= 1
    assert ms == estimate_latency_ms(c, d, a, b)
    assert ms <= 2 * 2 * 20_016 / 200 + 2  # half the circumference, doubled by route factor


@given(st.floats(min_value=0, max_value=60), st.floats(min_value=0, max_value=60))
def test_estimate_grows_with_distance(d1: float, d2: float) -> None:
    near, far = sorted((d1, d2))
    assert estimate_latency_ms(30, 100, 30, 100 + near) <= estimate_latency_ms(
        30, 100, 30, 100 + far
    )


def test_latency_matrix_covers_every_pair_and_overrides_win() -> None:
    cities, hubs = load_cities(), load_hubs()
    estimated = latency_matrix(cities, hubs)
    assert set(estimated) == {c.id for c in cities}
    assert all(set(row) == {h.id for h in hubs} for row in estimated.values())
    measured = latency_matrix(cities, hubs, {("shanghai", "gs-qingyang"): 41})
    assert measured["shanghai"]["gs-qingyang"] == 41
    assert measured["beijing"] == estimated["beijing"]
    assert latency_matrix(cities, hubs, None) == estimated == latency_matrix(cities, hubs, {})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({("atlantis", "gs-qingyang"): 5}, "unknown city or hub"),
        ({("shanghai", "nowhere"): 5}, "unknown city or hub"),
        ({("shanghai", "gs-qingyang"): 0}, "whole number >= 1"),
        ({("shanghai", "gs-qingyang"): True}, "whole number >= 1"),
        ({("shanghai", "gs-qingyang"): 2.5}, "whole number >= 1"),
    ],
)
def test_bad_overrides_are_refused(overrides: dict[tuple[str, str], int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        latency_matrix(load_cities(), load_hubs(), overrides)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HUB_HEADER + HUB_ROW.replace("east", "north"), "line 2, column 'side'"),
        (HUB_HEADER + HUB_ROW.replace(",30,", ",95,"), "line 2, column 'lat'"),
        (HUB_HEADER + HUB_ROW.replace("1.25", "low"), "line 2, column 'pue_target'"),
        (HUB_HEADER + HUB_ROW.replace("approval", ""), "column 'source'"),
        (HUB_HEADER + HUB_ROW + HUB_ROW, r"duplicate ids \['h1'\]"),
    ],
)
def test_hub_parse_errors_name_row_and_column(text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_hubs(text)


def test_city_parse_errors_name_row_and_column() -> None:
    with pytest.raises(CatalogError, match="line 3, column 'lon'"):
        parse_cities(CITY_HEADER + "a,A,甲,30,120\nb,B,乙,30,east\n")
