"""Parse a snapshot JSON object into a :class:`Snapshot`, collecting every problem.

Every problem is one line ``<JSON path>: <message>``, for example
``orders[17].duration_slots: must be >= 1``. Beyond the field rules of the contract
this also refuses negative money, non-finite numbers and wrong JSON types. Optional
members: ``energy_price_cny_per_kwh`` (0), ``latency_ms`` ({}), ``vouchers`` ([]),
an accelerator's ``memory_gb``/``bf16_tflops``, an order's ``voucher``, ``origin``
and ``max_latency_ms`` and a voucher's ``providers`` (null).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from suanli.market.clearing.reader import MISSING, Reader, join
from suanli.market.clearing.snapshot import (
    OPERATORS,
    Accelerator,
    Offer,
    Order,
    Snapshot,
    SnapshotError,
    Voucher,
)

ZERO = Decimal(0)


def validate(data: Any) -> list[str]:
    """Every problem of the snapshot, one line each; empty when it is valid."""
    return _read(data)[1]


def parse(data: Any) -> Snapshot:
    """The snapshot as values; raises :class:`SnapshotError` listing all problems."""
    snapshot, problems = _read(data)
    if snapshot is None:
        raise SnapshotError(problems)
    return snapshot


def _read(data: Any) -> tuple[Snapshot | None, list[str]]:
    r = Reader()
    root = r.obj(data, "")
    if root is None:
        return None, r.problems
    round_id = r.string(root, "round_id", "")
    horizon = _horizon(r, root)
    raw_hours = r.get(root, "slot_hours", "")
    slot_hours = None
    if raw_hours is not MISSING:
        slot_hours = r.bounded(raw_hours, "slot_hours", low=ZERO, low_open=True)
    slots = r.integer(root, "slots", "", minimum=1)
    energy = r.money(root, "energy_price_cny_per_kwh", "", optional=True)
    accelerators = _accelerators(r, root)
    latency = _latency(r, root)
    offers = [_offer(r, item, path, accelerators, slots)
              for item, path in _items(r, root, "offers")]
    vouchers = [_voucher(r, item, path) for item, path in _items(r, root, "vouchers", True)]
    voucher_by_id = {v.id: v for v in vouchers if v is not None}
    raw = root.get("vouchers")
    named = {item.get("id") for item in raw if isinstance(item, dict)} if isinstance(
        raw, list) else set()
    orders = [
        _order(r, item, path, accelerators, slots, voucher_by_id, named)
        for item, path in _items(r, root, "orders")
    ]
    _check_unique(r, root)
    if r.problems:
        return None, r.problems
    assert round_id is not None and horizon is not None and slot_hours is not None
    assert slots is not None and energy is not None and accelerators is not None
    snapshot = Snapshot(
        round_id=round_id,
        horizon_start=horizon,
        slot_hours=slot_hours,
        slots=slots,
        energy_price_fen=energy,
        accelerators=accelerators,
        latency_ms=latency,
        offers=tuple(o for o in offers if o is not None),
        vouchers=tuple(v for v in vouchers if v is not None),
        orders=tuple(o for o in orders if o is not None),
        voucher_by_id=voucher_by_id,
    )
    return snapshot, []


def _items(r: Reader, root: dict[str, Any], key: str, optional: bool = False) -> (
    list[tuple[dict[str, Any], str]]
):
    """The objects of a list member with their paths; non-objects are problems."""
    values = r.array(root, key, "", optional=optional) or []
    out = []
    for index, value in enumerate(values):
        item = r.obj(value, join(key, index))
        if item is not None:
            out.append((item, join(key, index)))
    return out


def _check_unique(r: Reader, root: dict[str, Any]) -> None:
    for key, id_key in (("accelerators", "model"), ("offers", "id"), ("vouchers", "id"),
                        ("orders", "id")):
        seen: set[str] = set()
        values = root.get(key)
        for index, item in enumerate(values if isinstance(values, list) else []):
            ident = item.get(id_key) if isinstance(item, dict) else None
            if isinstance(ident, str):
                r.unique_id(ident, seen, join(join(key, index), id_key))


def _horizon(r: Reader, root: dict[str, Any]) -> str | None:
    text = r.string(root, "horizon_start", "")
    if text is None:
        return None
    try:
        datetime.fromisoformat(text)
    except ValueError:
        r.fail("horizon_start", "must be an ISO 8601 date-time")
        return None
    return text


def _accelerators(r: Reader, root: dict[str, Any]) -> dict[str, Accelerator] | None:
    out: dict[str, Accelerator] = {}
    ok = True
    for item, path in _items(r, root, "accelerators"):
        model = r.string(item, "model", path)
        numbers = {}
        for key in ("memory_gb", "bf16_tflops", "tdp_w"):
            raw = r.get(item, key, path, optional=key != "tdp_w")
            numbers[key] = ZERO if raw is MISSING else r.bounded(raw, join(path, key), low=ZERO)
        domestic = r.boolean(item, "domestic", path)
        if model is None or domestic is None or None in numbers.values():
            ok = False
            continue
        out.setdefault(model, Accelerator(model, numbers["memory_gb"] or ZERO,
                                          numbers["bf16_tflops"] or ZERO,
                                          numbers["tdp_w"] or ZERO, domestic))
    return out if ok and isinstance(root.get("accelerators"), list) else None


def _latency(r: Reader, root: dict[str, Any]) -> dict[str, dict[str, float]]:
    raw = r.get(root, "latency_ms", "", optional=True)
    if raw is MISSING or raw is None:
        return {}
    table = r.obj(raw, "latency_ms")
    out: dict[str, dict[str, float]] = {}
    for origin, row in (table or {}).items():
        hubs = r.obj(row, join("latency_ms", origin))
        for hub, value in (hubs or {}).items():
            ms = r.bounded(value, join(join("latency_ms", origin), hub), low=ZERO)
            if ms is not None:
                out.setdefault(origin, {})[hub] = float(value)
    return out


def _known_model(r: Reader, name: str | None, path: str,
                 accelerators: dict[str, Accelerator] | None) -> None:
    if name is not None and accelerators is not None and name not in accelerators:
        r.fail(path, f"unknown accelerator {name!r}")


def _offer(r: Reader, item: dict[str, Any], path: str,
           accelerators: dict[str, Accelerator] | None, slots: int | None) -> Offer | None:
    ident, provider, hub = (r.string(item, k, path) for k in ("id", "provider", "hub"))
    operator = r.string(item, "operator", path)
    if operator is not None and operator not in OPERATORS:
        r.fail(join(path, "operator"), "must be 'state' or 'commercial'")
        operator = None
    model = r.string(item, "accelerator", path)
    _known_model(r, model, join(path, "accelerator"), accelerators)
    gpus = r.integer(item, "gpus", path, minimum=1)
    start = r.integer(item, "start_slot", path, minimum=0)
    end = r.integer(item, "end_slot", path)
    if start is not None and end is not None and end <= start:
        r.fail(join(path, "end_slot"), f"must be > start_slot ({start})")
        end = None
    if end is not None and slots is not None and end > slots:
        r.fail(join(path, "end_slot"), f"must be <= slots ({slots})")
        end = None
    ask = r.money(item, "ask_cny_per_gpu_hour", path)
    raw_pue = r.get(item, "pue", path)
    pue = None if raw_pue is MISSING else r.bounded(raw_pue, join(path, "pue"), low=Decimal(1))
    fields = (ident, provider, hub, operator, model, gpus, start, end, ask, pue)
    if any(value is None for value in fields):
        return None
    assert ident and provider and hub and operator and model and pue is not None
    assert gpus is not None and start is not None and end is not None and ask is not None
    return Offer(ident, provider, hub, operator, model, gpus, start, end, ask, pue)


def _voucher(r: Reader, item: dict[str, Any], path: str) -> Voucher | None:
    ident, holder = r.string(item, "id", path), r.string(item, "holder", path)
    balance = r.money(item, "balance_cny", path)
    rates: dict[str, Decimal] = {}
    raw_rate = r.get(item, "rate", path)
    table = None if raw_rate is MISSING else r.obj(raw_rate, join(path, "rate"))
    for operator in OPERATORS if table is not None else ():
        value = r.get(table or {}, operator, join(path, "rate"))
        rate = None if value is MISSING else r.rate(value, join(join(path, "rate"), operator))
        if rate is not None:
            rates[operator] = rate
    bonus, cap = (
        None if (raw := r.get(item, key, path)) is MISSING else r.rate(raw, join(path, key))
        for key in ("domestic_bonus", "max_rate")
    )
    providers = _providers(r, item, path)
    if None in (ident, holder, balance, bonus, cap, providers) or len(rates) < len(OPERATORS):
        return None
    assert ident and holder and balance is not None and bonus is not None and cap is not None
    allowed = frozenset(providers) if isinstance(providers, list) else None
    return Voucher(ident, holder, balance, rates, bonus, cap, allowed)


def _providers(r: Reader, item: dict[str, Any], path: str) -> list[str] | bool | None:
    """The provider list, False for null/absent (any provider), None on a problem."""
    raw = r.get(item, "providers", path, optional=True)
    if raw is MISSING or raw is None:
        return False
    if not isinstance(raw, list):
        r.fail(join(path, "providers"), "must be null or an array of provider ids")
        return None
    bad = [i for i, p in enumerate(raw) if not isinstance(p, str) or not p]
    for index in bad:
        r.fail(join(join(path, "providers"), index), "must be a non-empty string")
    return None if bad else list(raw)


def _order(r: Reader, item: dict[str, Any], path: str,
           accelerators: dict[str, Accelerator] | None, slots: int | None,
           vouchers: dict[str, Voucher], named: set[Any]) -> Order | None:
    ident, buyer = r.string(item, "id", path), r.string(item, "buyer", path)
    models = _order_models(r, item, path, accelerators)
    gpus = r.integer(item, "gpus", path, minimum=1)
    duration = r.integer(item, "duration_slots", path, minimum=1)
    earliest = r.integer(item, "earliest_start_slot", path, minimum=0)
    latest = r.integer(item, "latest_end_slot", path)
    if None not in (earliest, duration, latest):
        assert earliest is not None and duration is not None and latest is not None
        if earliest + duration > latest:
            r.fail(join(path, "latest_end_slot"),
                   f"must be >= earliest_start_slot + duration_slots ({earliest + duration})")
            latest = None
    if latest is not None and slots is not None and latest > slots:
        r.fail(join(path, "latest_end_slot"), f"must be <= slots ({slots})")
        latest = None
    limit = r.money(item, "limit_cny_per_gpu_hour", path)
    voucher = r.string(item, "voucher", path, nullable=True)
    _check_voucher(r, voucher, buyer, join(path, "voucher"), vouchers, named)
    origin = r.string(item, "origin", path, nullable=True)
    raw = r.get(item, "max_latency_ms", path, optional=True)
    max_latency = None
    if raw is not MISSING and raw is not None:
        max_latency = r.bounded(raw, join(path, "max_latency_ms"), low=ZERO)
        if max_latency is None:
            return None
    fields = (ident, buyer, models, gpus, duration, earliest, latest, limit)
    if any(value is None for value in fields) or (
            voucher is not None and vouchers.get(voucher) is None):
        return None
    assert ident and buyer and models is not None and gpus and duration and limit is not None
    assert earliest is not None and latest is not None
    return Order(ident, buyer, models, gpus, duration, earliest, latest, limit, voucher, origin,
                 None if max_latency is None else float(raw))


def _order_models(r: Reader, item: dict[str, Any], path: str,
                  accelerators: dict[str, Accelerator] | None) -> tuple[str, ...] | None:
    values = r.array(item, "accelerators", path)
    if values is None:
        return None
    models = []
    for index, value in enumerate(values):
        at = join(join(path, "accelerators"), index)
        if not isinstance(value, str) or not value:
            r.fail(at, "must be a non-empty string")
            return None
        _known_model(r, value, at, accelerators)
        models.append(value)
    return tuple(models)


def _check_voucher(r: Reader, voucher: str | None, buyer: str | None, path: str,
                   vouchers: dict[str, Voucher], named: set[Any]) -> None:
    if voucher is None:
        return
    found = vouchers.get(voucher)
    if found is None and voucher in named:
        return  # the voucher is there but invalid: its own problems say why
    if found is None:
        r.fail(path, f"unknown voucher {voucher!r}")
    elif buyer is not None and found.holder != buyer:
        r.fail(path, f"voucher {voucher!r} is held by {found.holder!r}, not the buyer {buyer!r}")
