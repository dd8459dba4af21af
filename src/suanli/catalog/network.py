"""The East Data West Computing clusters, voucher cities, and latency estimates between them.

Latency model (``estimate_latency_ms``): great-circle distance x a fibre route factor of
2.0 (Chinese backbone routes run 1.5-2x the straight line and often detour through a
provincial exchange), at 200 km/ms in fibre (light at about c / 1.47), there and back,
plus 1 ms fixed for switching, serialisation and the metro access network; rounded half
up to whole ms and never below 1 ms. It gives Shanghai -> YRD demo zone (34 km) 2 ms,
Beijing -> Zhangjiakou (161 km) 4 ms and Shanghai -> Gansu Qingyang (1,375 km) 28 ms. The
2023 implementation opinions target 1 ms within a city, 5 ms within a region and 20 ms
between hubs on the dedicated direct-connect network; the estimate deliberately models
today's ordinary routes, so long east-west pairs come out above 20 ms. An administrator's
measurement (an override in ``latency_matrix``) always wins over the estimate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal, Protocol

from suanli.catalog.accelerators import (
    CatalogError,
    CsvRow,
    iter_csv,
    parse_decimal,
    read_packaged,
)

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
ROUTE_FACTOR = 2.0
FIBRE_KM_PER_MS = 200.0
FIXED_OVERHEAD_MS = 1.0

HUB_COLUMNS = (
    "id", "name", "hub", "province", "side", "pue_target", "lat", "lon", "role", "source",
)  # fmt: skip
CITY_COLUMNS = ("id", "name", "name_zh", "lat", "lon")

Side = Literal["east", "west"]


class Located(Protocol):
    """Anything with an id and coordinates in decimal degrees (a Hub, a City)."""

    @property
    def id(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...


@dataclass(frozen=True)
class Hub:
    """One of the ten data-centre clusters of the eight national computing hubs."""

    id: str
    name: str
    hub: str
    province: str
    side: Side
    pue_target: Decimal
    lat: float
    lon: float
    role: str
    source: str


@dataclass(frozen=True)
class City:
    """A city that runs a voucher program or hosts startups."""

    id: str
    name: str
    name_zh: str
    lat: float
    lon: float


def _coordinate(limit: float) -> Callable[[str], float]:
    def parse(value: str) -> float:
        number = float(value)
        if not math.isfinite(number) or abs(number) > limit:
            raise ValueError(f"must be a number between -{limit:g} and {limit:g}")
        return number

    return parse


def _lat_lon(row: CsvRow) -> tuple[float, float]:
    return row.required("lat", _coordinate(90.0)), row.required("lon", _coordinate(180.0))


def _side(value: str) -> Side:
    if value == "east":
        return "east"
    if value == "west":
        return "west"
    raise ValueError("must be east or west")


def _unique(ids: list[str], filename: str) -> None:
    # Ids are keys of the latency matrix and of overrides; a duplicate would shadow a row.
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"{filename}: duplicate ids {duplicates}")


def parse_hubs(text: str, filename: str = "hubs.csv") -> tuple[Hub, ...]:
    """Parse hubs CSV text; CatalogError names line and column of any bad cell."""
    hubs: list[Hub] = []
    for row in iter_csv(text, filename, HUB_COLUMNS):
        lat, lon = _lat_lon(row)
        hubs.append(
            Hub(
                id=row.text("id"),
                name=row.text("name"),
                hub=row.text("hub"),
                province=row.text("province"),
                side=row.required("side", _side),
                pue_target=row.required("pue_target", parse_decimal),
                lat=lat,
                lon=lon,
                role=row.text("role"),
                source=row.text("source"),
            )
        )
    _unique([hub.id for hub in hubs], filename)
    return tuple(hubs)


def parse_cities(text: str, filename: str = "cities.csv") -> tuple[City, ...]:
    """Parse cities CSV text; CatalogError names line and column of any bad cell."""
    cities: list[City] = []
    for row in iter_csv(text, filename, CITY_COLUMNS):
        lat, lon = _lat_lon(row)
        cities.append(City(row.text("id"), row.text("name"), row.text("name_zh"), lat, lon))
    _unique([city.id for city in cities], filename)
    return tuple(cities)


@cache
def load_hubs() -> tuple[Hub, ...]:
    """The ten packaged clusters, in file order."""
    return parse_hubs(read_packaged("hubs.csv"))


@cache
def load_cities() -> tuple[City, ...]:
    """The packaged cities, in file order."""
    return parse_cities(read_packaged("cities.csv"))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km between two points given in decimal degrees."""
    for value, limit in ((lat1, 90.0), (lon1, 180.0), (lat2, 90.0), (lon2, 180.0)):
        if not math.isfinite(value) or abs(value) > limit:
            raise ValueError(f"coordinate {value!r} is outside [-{limit:g}, {limit:g}]")
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def estimate_latency_ms(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Estimated round-trip time in whole ms (at least 1) over ordinary fibre routes.

    See the module docstring for the model; raises ValueError for impossible coordinates.
    """
    route_km = great_circle_km(lat1, lon1, lat2, lon2) * ROUTE_FACTOR
    rtt = 2 * route_km / FIBRE_KM_PER_MS + FIXED_OVERHEAD_MS
    return max(1, math.floor(rtt + 0.5))


def latency_matrix(
    cities: Sequence[Located],
    hubs: Sequence[Located],
    overrides: Mapping[tuple[str, str], int] | None = None,
) -> dict[str, dict[str, int]]:
    """Round-trip ms from every city to every hub: ``matrix[city_id][hub_id]``.

    An override keyed ``(city_id, hub_id)`` is an administrator's measurement and wins
    over the estimate. An override for a pair not in the matrix, or one that is not a
    whole number of ms >= 1, raises ValueError naming it, so a typo is not silently lost.
    """
    matrix = {
        city.id: {hub.id: estimate_latency_ms(city.lat, city.lon, hub.lat, hub.lon) for hub in hubs}
        for city in cities
    }
    for (city_id, hub_id), ms in (overrides or {}).items():
        if city_id not in matrix or hub_id not in matrix[city_id]:
            raise ValueError(f"override ({city_id!r}, {hub_id!r}): unknown city or hub")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
            raise ValueError(f"override ({city_id!r}, {hub_id!r}): must be a whole number >= 1")
        matrix[city_id][hub_id] = ms
    return matrix
