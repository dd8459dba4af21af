"""Deterministic generator of realistic clearing snapshots (tests, benchmarks, simulation).

A market of domestic (Ascend, Hygon, Cambricon) and imported (H20, A800, H800, L20)
accelerators sold by state-run and commercial providers in eastern hubs (close to
the buyers, higher PUE) and western hubs (far, cheaper, low PUE); buyers in a few
cities, a share of them holding vouchers, some restricted to listed providers.
Offer sizes are scaled so that demand is about ``tightness`` times the supply.
The same arguments always give the same snapshot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# model: (memory_gb, bf16_tflops, tdp_w, domestic, base ask CNY per GPU-hour)
MODELS: dict[str, tuple[int, int, int, bool, float]] = {
    "ascend-910b": (64, 320, 400, True, 9.5),
    "ascend-910c": (128, 780, 600, True, 15.0),
    "hygon-k100": (64, 196, 350, True, 6.0),
    "cambricon-mlu590": (80, 314, 350, True, 8.0),
    "h20": (96, 148, 400, False, 8.5),
    "a800": (80, 312, 400, False, 11.0),
    "h800": (80, 989, 700, False, 18.0),
    "l20": (48, 119, 275, False, 4.5),
}
TRAINING = ("ascend-910c", "ascend-910b", "a800", "h800")
INFERENCE = ("h20", "l20", "hygon-k100", "cambricon-mlu590", "ascend-910b")
# hub: (price factor, lowest PUE, highest PUE)
HUBS: dict[str, tuple[float, float, float]] = {
    "yrd-qingpu": (1.10, 1.25, 1.35),
    "gd-shaoguan": (1.05, 1.22, 1.32),
    "jjj-zhangjiakou": (1.00, 1.18, 1.28),
    "cy-tianfu": (0.97, 1.18, 1.28),
    "guizhou-guian": (0.92, 1.12, 1.22),
    "gansu-qingyang": (0.88, 1.10, 1.18),
    "ningxia-zhongwei": (0.87, 1.08, 1.16),
    "nm-helinger": (0.86, 1.08, 1.15),
}
# origin -> hub -> ms; a missing entry is unreachable (no direct line).
LATENCY: dict[str, dict[str, int]] = {
    "shanghai": {"yrd-qingpu": 2, "gd-shaoguan": 18, "jjj-zhangjiakou": 22, "cy-tianfu": 30,
                 "guizhou-guian": 28, "gansu-qingyang": 31, "ningxia-zhongwei": 35,
                 "nm-helinger": 33},
    "beijing": {"yrd-qingpu": 20, "jjj-zhangjiakou": 4, "gansu-qingyang": 22,
                "ningxia-zhongwei": 24, "nm-helinger": 9, "cy-tianfu": 32},
    "shenzhen": {"yrd-qingpu": 19, "gd-shaoguan": 5, "guizhou-guian": 17, "cy-tianfu": 25},
    "hangzhou": {"yrd-qingpu": 4, "gd-shaoguan": 17, "guizhou-guian": 26,
                 "gansu-qingyang": 30, "ningxia-zhongwei": 33},
    "chengdu": {"cy-tianfu": 3, "guizhou-guian": 9, "gansu-qingyang": 15,
                "ningxia-zhongwei": 17, "yrd-qingpu": 30},
}
ORDER_GPUS = (1, 2, 4, 8, 8, 16, 16, 32, 32, 64, 128)
OFFER_GPUS = (8, 16, 32, 64, 128, 256)
BIG_OFFER_GPUS = 128  # every tenth offer is at least this big, so large orders can fit


@dataclass(frozen=True)
class MarketShape:
    """Size and character of a generated market."""

    orders: int = 300
    offers: int = 40
    slots: int = 48
    tightness: float = 1.4
    voucher_share: float = 0.5
    energy_price: str = "0.35"


def generate(shape: MarketShape, seed: int = 0) -> dict[str, Any]:
    """A valid snapshot JSON object for ``shape``; deterministic in ``seed``."""
    rng = random.Random(seed)
    offers = _offers(rng, shape)
    orders = _orders(rng, shape)
    _scale_supply(offers, orders, shape)
    vouchers = _vouchers(rng, shape, orders, offers)
    return {
        "round_id": f"gen-{shape.orders}x{shape.offers}x{shape.slots}-{seed}",
        "horizon_start": "2026-12-01T00:00:00+08:00",
        "slot_hours": 1,
        "slots": shape.slots,
        "energy_price_cny_per_kwh": shape.energy_price,
        "accelerators": [
            {"model": m, "memory_gb": mem, "bf16_tflops": tf, "tdp_w": w, "domestic": dom}
            for m, (mem, tf, w, dom, _) in MODELS.items()
        ],
        "latency_ms": LATENCY,
        "offers": offers,
        "vouchers": vouchers,
        "orders": orders,
    }


def _money(value: float) -> str:
    return f"{max(value, 0.0):.2f}"


def _providers(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(provider id, operator, hub) for ``count`` providers."""
    hubs = list(HUBS)
    out = []
    for index in range(count):
        operator = "state" if rng.random() < 0.45 else "commercial"
        hub = rng.choice(hubs)
        prefix = "sdc" if operator == "state" else "cdc"
        out.append((f"{prefix}-{hub.split('-')[-1]}-{index:03d}", operator, hub))
    return out


def _offers(rng: random.Random, shape: MarketShape) -> list[dict[str, Any]]:
    providers = _providers(rng, max(2, shape.offers // 6))
    offers = []
    for index in range(shape.offers):
        provider, operator, hub = rng.choice(providers)
        domestic_first = operator == "state" and rng.random() < 0.7
        pool = [m for m in MODELS if MODELS[m][3]] if domestic_first else list(MODELS)
        model = rng.choice(pool)
        factor, pue_low, pue_high = HUBS[hub]
        ask = MODELS[model][4] * factor * rng.uniform(0.85, 1.2)
        if operator == "state":
            ask *= 0.95
        start, end = 0, shape.slots
        if rng.random() < 0.3:
            length = rng.randint(max(1, shape.slots // 4), shape.slots)
            start = rng.randint(0, shape.slots - length)
            end = start + length
        offers.append({
            "id": f"of-{index:05d}", "provider": provider, "hub": hub, "operator": operator,
            "accelerator": model, "gpus": rng.choice(OFFER_GPUS), "start_slot": start,
            "end_slot": end, "ask_cny_per_gpu_hour": _money(ask),
            "pue": round(rng.uniform(pue_low, pue_high), 2),
        })
    return offers


def _duration(rng: random.Random, slots: int) -> int:
    kind = rng.random()
    if kind < 0.45:
        high = 6  # inference bursts
    elif kind < 0.85:
        high = 24
    else:
        high = 72  # training runs
    return max(1, min(rng.randint(1, high), slots // 2))


def _orders(rng: random.Random, shape: MarketShape) -> list[dict[str, Any]]:
    buyers = [f"buyer-{i:04d}" for i in range(max(1, shape.orders // 4))]
    origins = list(LATENCY)
    orders = []
    for index in range(shape.orders):
        family = TRAINING if rng.random() < 0.4 else INFERENCE
        models = rng.sample(family, rng.randint(1, 3))
        duration = _duration(rng, shape.slots)
        earliest = rng.randint(0, shape.slots - duration)
        slack = rng.choice((0, 0, 2, 6, 12, shape.slots // 3))
        latest = min(shape.slots, earliest + duration + slack)
        base = max(MODELS[m][4] for m in models)
        latency = None if rng.random() < 0.6 else rng.choice((5, 10, 20, 35))
        orders.append({
            "id": f"or-{index:05d}", "buyer": rng.choice(buyers), "accelerators": models,
            "gpus": rng.choice(ORDER_GPUS), "duration_slots": duration,
            "earliest_start_slot": earliest, "latest_end_slot": latest,
            "limit_cny_per_gpu_hour": _money(base * rng.uniform(0.45, 1.25)),
            "voucher": None, "origin": rng.choice(origins), "max_latency_ms": latency,
        })
    return orders


def _scale_supply(offers: list[dict[str, Any]], orders: list[dict[str, Any]],
                  shape: MarketShape) -> None:
    """Resize offers so demand is about ``tightness`` times supply (GPU-slots)."""
    demand = sum(o["gpus"] * o["duration_slots"] for o in orders)
    supply = sum(o["gpus"] * (o["end_slot"] - o["start_slot"]) for o in offers)
    factor = demand / (shape.tightness * max(supply, 1))
    for index, offer in enumerate(offers):
        offer["gpus"] = max(8, 8 * round(offer["gpus"] * factor / 8))
        if index % 10 == 0:
            offer["gpus"] = max(offer["gpus"], BIG_OFFER_GPUS)


def _vouchers(rng: random.Random, shape: MarketShape, orders: list[dict[str, Any]],
              offers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Vouchers for a share of buyers, sized to cover part of their expected subsidy."""
    by_buyer: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_buyer.setdefault(order["buyer"], []).append(order)
    providers = sorted({o["provider"] for o in offers})
    vouchers: list[dict[str, Any]] = []
    for buyer in sorted(by_buyer):
        if rng.random() >= shape.voucher_share:
            continue
        state, commercial = rng.choice((("0.50", "0.30"), ("0.40", "0.20"), ("0.30", "0.30")))
        hours = sum(o["gpus"] * o["duration_slots"] for o in by_buyer[buyer])
        balance = hours * 9.0 * 0.4 * rng.uniform(0.15, 1.0)
        allowed = None
        if rng.random() < 0.15:
            allowed = sorted(rng.sample(providers, max(1, len(providers) // 3)))
        voucher = {
            "id": f"v-{len(vouchers):04d}", "holder": buyer, "balance_cny": _money(balance),
            "rate": {"state": state, "commercial": commercial},
            "domestic_bonus": rng.choice(("0.10", "0.05", "0.00")),
            "max_rate": rng.choice(("0.60", "0.50", "0.70")), "providers": allowed,
        }
        vouchers.append(voucher)
        for order in by_buyer[buyer]:
            if rng.random() < 0.85:
                order["voucher"] = voucher["id"]
    return vouchers
