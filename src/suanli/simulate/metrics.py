"""What a simulation counts as it runs, and the JSON summary made from it.

Money stays in int fen until the summary turns it into decimal strings; GPU-hours and
energy are floats (they are measures, not money). Ratios are rounded to 4 places and
quantities to 2, so that the summary reads well and is the same on every run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from suanli.kit.money import format_cny
from suanli.simulate.funding import Funding

UNMET_REASONS = (
    "ineligible", "no_voucher", "no_compatible_offer", "over_limit", "voucher_exhausted", "outbid",
)  # fmt: skip


@dataclass(frozen=True)
class Match:
    """One settled contract, as the metrics need it."""

    startup: str
    hub: str
    side: str
    operator: str
    domestic: bool
    voucher: bool
    gpu_hours: float
    cost_fen: int
    voucher_fen: int
    buyer_fen: int
    energy_kwh: float
    accelerator: str = ""


@dataclass
class Week:
    """The numbers of one simulated week."""

    week: int
    arrivals: int = 0
    vouchers_issued: int = 0
    orders: int = 0
    matched: int = 0
    unmet: int = 0
    gpu_hours: float = 0.0
    state_gpu_hours: float = 0.0
    domestic_gpu_hours: float = 0.0
    subsidy_fen: int = 0
    buyer_fen: int = 0
    committed_fen: int = 0
    status: str = ""
    objective_cny: str = "0.00"
    time_limited: bool = False  # the round's safety-net time limit cut the solver short

    def add(self, match: Match) -> None:
        """Count one settled contract of this week."""
        self.matched += 1
        self.gpu_hours += match.gpu_hours
        self.state_gpu_hours += match.gpu_hours if match.operator == "state" else 0.0
        self.domestic_gpu_hours += match.gpu_hours if match.domestic else 0.0
        self.subsidy_fen += match.voucher_fen
        self.buyer_fen += match.buyer_fen


@dataclass
class Split:
    """Delivery and money on one side of a split (an operator type, domestic or not, a hub)."""

    gpu_hours: float = 0.0
    cost_fen: int = 0
    voucher_fen: int = 0
    buyer_fen: int = 0
    energy_kwh: float = 0.0

    def add(self, match: Match) -> None:
        """Count one contract."""
        self.gpu_hours += match.gpu_hours
        self.cost_fen += match.cost_fen
        self.voucher_fen += match.voucher_fen
        self.buyer_fen += match.buyer_fen
        self.energy_kwh += match.energy_kwh


@dataclass
class Tally:
    """Everything counted over a run."""

    budget_fen: int
    energy_price_fen: int
    weeks: list[Week] = field(default_factory=list)
    total: Split = field(default_factory=Split)
    by_operator: dict[str, Split] = field(default_factory=lambda: defaultdict(Split))
    by_chip: dict[str, Split] = field(default_factory=lambda: defaultdict(Split))
    by_hub: dict[str, Split] = field(default_factory=lambda: defaultdict(Split))
    by_side: dict[str, Split] = field(default_factory=lambda: defaultdict(Split))
    # (accelerator, operator type): what the same chip cost at each kind of centre
    by_model_operator: dict[tuple[str, str], Split] = field(
        default_factory=lambda: defaultdict(Split))
    capacity_gpu_hours: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    decisions: Counter[str] = field(default_factory=Counter)
    unmet_orders: Counter[str] = field(default_factory=Counter)
    unmet_gpu_hours: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    served: set[str] = field(default_factory=set)
    served_with_voucher: set[str] = field(default_factory=set)
    voucher_holders: set[str] = field(default_factory=set)
    issued_fen: int = 0
    expired_fen: int = 0
    uncovered_fen: int = 0  # charges neither hold covered (rounding; expected to stay 0)
    arrived: int = 0
    funding: Funding | None = None  # co-funded: each funder's money

    def add_match(self, match: Match) -> None:
        """Count one settled contract everywhere it belongs."""
        for split in (self.total, self.by_operator[match.operator], self.by_hub[match.hub],
                      self.by_side[match.side],
                      self.by_chip["domestic" if match.domestic else "imported"],
                      self.by_model_operator[(match.accelerator, match.operator)]):
            split.add(match)
        self.served.add(match.startup)
        if match.voucher_fen > 0:
            self.served_with_voucher.add(match.startup)

    def add_unmet(self, reason: str, gpu_hours: float) -> None:
        """Count one order that was finally given up, with its reason."""
        self.unmet_orders[reason] += 1
        self.unmet_gpu_hours[reason] += gpu_hours


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _price(fen: int, gpu_hours: float) -> str | None:
    """Average CNY per GPU-hour as a decimal string, None when nothing was bought."""
    return format_cny(round(fen / gpu_hours)) if gpu_hours else None


def _split_json(split: Split) -> dict[str, Any]:
    return {
        "gpu_hours": round(split.gpu_hours, 2),
        "cost_cny": format_cny(split.cost_fen),
        "subsidy_cny": format_cny(split.voucher_fen),
        "paid_by_startups_cny": format_cny(split.buyer_fen),
        "avg_ask_cny_per_gpu_hour": _price(split.cost_fen, split.gpu_hours),
        "avg_paid_cny_per_gpu_hour": _price(split.buyer_fen, split.gpu_hours),
        "energy_kwh": round(split.energy_kwh, 2),
    }


def _prices(t: Tally) -> dict[str, Any]:
    state, commercial = t.by_operator.get("state"), t.by_operator.get("commercial")
    paid_state = state.buyer_fen / state.gpu_hours if state and state.gpu_hours else None
    paid_comm = (commercial.buyer_fen / commercial.gpu_hours
                 if commercial and commercial.gpu_hours else None)
    cheaper = (round(1 - paid_state / paid_comm, 4)
               if paid_state is not None and paid_comm else None)
    same, by_model = _same_chips(t)
    return {
        "avg_paid_cny_per_gpu_hour": _price(t.total.buyer_fen, t.total.gpu_hours),
        "avg_ask_cny_per_gpu_hour": _price(t.total.cost_fen, t.total.gpu_hours),
        "avg_paid_state_cny_per_gpu_hour": _price(state.buyer_fen, state.gpu_hours)
        if state else None,
        "avg_paid_commercial_cny_per_gpu_hour": _price(commercial.buyer_fen,
                                                        commercial.gpu_hours)
        if commercial else None,
        "state_cheaper_than_commercial": cheaper,
        "same_chip_state_cheaper": same,
        "by_chip_and_operator": by_model,
    }


def _same_chips(t: Tally) -> tuple[float | None, dict[str, Any]]:
    """Per chip bought at both kinds of centre: what startups paid at each and how much
    cheaper state-run was; overall, those gaps weighted by the chip's GPU-hours (so a
    different chip mix on the two sides does not enter the figure)."""
    by_model: dict[str, Any] = {}
    weighted = weight = 0.0
    for model in sorted({m for m, _ in t.by_model_operator}):
        state, comm = t.by_model_operator.get((model, "state")), t.by_model_operator.get(
            (model, "commercial"))
        row: dict[str, str | float | None] = {
            side: _price(split.buyer_fen, split.gpu_hours) if split else None
            for side, split in (("state", state), ("commercial", comm))}
        if state and comm and state.gpu_hours and comm.gpu_hours and comm.buyer_fen:
            gap = 1 - (state.buyer_fen / state.gpu_hours) / (comm.buyer_fen / comm.gpu_hours)
            row["state_cheaper"] = round(gap, 4)
            hours = state.gpu_hours + comm.gpu_hours
            weighted, weight = weighted + gap * hours, weight + hours
        by_model[model] = row
    return (round(weighted / weight, 4) if weight else None), by_model


def _subsidy(t: Tally) -> dict[str, Any]:
    spent = t.total.voucher_fen
    return {
        "budget_cny": format_cny(t.budget_fen),
        "issued_cny": format_cny(t.issued_fen),
        "spent_cny": format_cny(spent),
        "left_cny": format_cny(t.budget_fen - spent),
        "expired_unspent_cny": format_cny(t.expired_fen),
        "uncovered_cny": format_cny(t.uncovered_fen),
        "spent_share_of_budget": _ratio(spent, t.budget_fen),
    }


def _delivery(t: Tally) -> dict[str, Any]:
    spent_yuan = t.total.voucher_fen / 100
    return {
        "gpu_hours": round(t.total.gpu_hours, 2),
        "gpu_hours_per_yuan_subsidy": round(t.total.gpu_hours / spent_yuan, 4)
        if spent_yuan else None,
        "state_share": _ratio(t.by_operator["state"].gpu_hours, t.total.gpu_hours),
        "domestic_share": _ratio(t.by_chip["domestic"].gpu_hours, t.total.gpu_hours),
        "by_operator": {k: _split_json(t.by_operator[k]) for k in sorted(t.by_operator)},
        "by_chip": {k: _split_json(t.by_chip[k]) for k in sorted(t.by_chip)},
    }


def _energy(t: Tally) -> dict[str, Any]:
    east, west = t.by_side["east"].energy_kwh, t.by_side["west"].energy_kwh
    cost = round(t.total.energy_kwh * t.energy_price_fen)
    return {
        "kwh": round(t.total.energy_kwh, 2),
        "east_kwh": round(east, 2),
        "west_kwh": round(west, 2),
        "west_share": _ratio(west, east + west),
        "cost_cny": format_cny(cost),
    }


def _startups(t: Tally) -> dict[str, Any]:
    return {
        "arrived": t.arrived,
        "decisions": dict(sorted(t.decisions.items())),
        "with_voucher": len(t.voucher_holders),
        "served": len(t.served),
        "served_with_subsidy": len(t.served_with_voucher),
    }


def _clearing(t: Tally) -> dict[str, Any]:
    """How the rounds were solved; a time-limited round may differ from run to run."""
    rounds = [w for w in t.weeks if w.status]
    return {
        "rounds": len(rounds),
        "statuses": dict(sorted(Counter(w.status for w in rounds).items())),
        "time_limited": sum(1 for w in rounds if w.time_limited),
    }


def _week_json(w: Week) -> dict[str, Any]:
    return {
        "week": w.week, "arrivals": w.arrivals, "vouchers_issued": w.vouchers_issued,
        "orders": w.orders, "matched": w.matched, "unmet": w.unmet,
        "gpu_hours": round(w.gpu_hours, 2), "state_gpu_hours": round(w.state_gpu_hours, 2),
        "domestic_gpu_hours": round(w.domestic_gpu_hours, 2),
        "subsidy_cny": format_cny(w.subsidy_fen),
        "paid_by_startups_cny": format_cny(w.buyer_fen),
        "committed_cny": format_cny(w.committed_fen), "status": w.status,
        "time_limited": w.time_limited, "objective_cny": w.objective_cny,
    }


def summarise(t: Tally) -> dict[str, Any]:
    """The metrics of a run as JSON-ready values (see the module docstring for the units)."""
    hubs = sorted(t.capacity_gpu_hours)
    return {
        "startups": _startups(t),
        "subsidy": _subsidy(t),
        "funders": [] if t.funding is None else t.funding.as_json(),
        "delivery": _delivery(t),
        "prices": _prices(t),
        "unmet": {
            "orders": {r: t.unmet_orders[r] for r in UNMET_REASONS},
            "gpu_hours": {r: round(t.unmet_gpu_hours[r], 2) for r in UNMET_REASONS},
        },
        "utilisation_by_hub": {
            h: _ratio(t.by_hub[h].gpu_hours, t.capacity_gpu_hours[h]) for h in hubs
        },
        "energy": _energy(t),
        "clearing": _clearing(t),
        "weekly": [_week_json(w) for w in t.weeks],
    }
