"""The figures of the reports, aggregated from plain rows (pure).

The repository reads rows (per contract: where it ran, on what, how much it delivered and
cost; per program: the money its ledger accounts moved) and these functions add them up.

* GPU-hours are billable GPU-seconds / 3600 (flagged time does not count as delivered).
* Energy (kWh) = GPU-hours x the accelerator's TDP (kW) x the data centre's PUE, split
  between eastern and western hubs (data centres outside a hub count as `city`).
* Spending is the settled charge (voucher and buyer shares together); the share at
  state-run data centres is its fraction at `operator = state`.
* Startups served: distinct buyers with any delivered GPU time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal

from suanli.kit.units import gpu_hours

HUNDREDTH = Decimal("0.01")
NO_HUB = "city"


def _q(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Delivery:
    """One contract's delivery, with the facts of where it ran."""

    contract_id: int
    buyer_org_id: int
    hub: str | None
    side: str | None  # "east" / "west" for hubs, None for a city data centre
    operator: str  # "state" / "commercial"
    domestic: bool
    tdp_w: int | None
    pue: Decimal
    gpu_seconds: int
    spend_fen: int


@dataclass
class DeliveryFigures:
    gpu_hours: Decimal = Decimal(0)
    by_hub: dict[str, Decimal] = field(default_factory=dict)
    by_operator: dict[str, Decimal] = field(default_factory=dict)
    by_origin: dict[str, Decimal] = field(default_factory=dict)  # domestic / foreign
    spend_fen: int = 0
    spend_state_fen: int = 0
    energy_kwh: Decimal = Decimal(0)
    energy_by_side: dict[str, Decimal] = field(default_factory=dict)
    startups_served: int = 0

    @property
    def state_share(self) -> Decimal:
        """Fraction of spending at state-run data centres (0 when nothing was spent)."""
        if not self.spend_fen:
            return Decimal(0)
        return (Decimal(self.spend_state_fen) / Decimal(self.spend_fen)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def delivery_figures(rows: Iterable[Delivery]) -> DeliveryFigures:
    """GPU-hours by hub, operator and origin; spending; energy by side; startups served."""
    seconds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    energy: dict[str, Decimal] = defaultdict(Decimal)
    buyers: set[int] = set()
    out = DeliveryFigures()
    total = 0
    for row in rows:
        total += row.gpu_seconds
        seconds["hub"][row.hub or NO_HUB] += row.gpu_seconds
        seconds["operator"][row.operator] += row.gpu_seconds
        seconds["origin"]["domestic" if row.domestic else "foreign"] += row.gpu_seconds
        out.spend_fen += row.spend_fen
        if row.operator == "state":
            out.spend_state_fen += row.spend_fen
        energy[row.side or NO_HUB] += energy_kwh(row.gpu_seconds, row.tdp_w, row.pue)
        if row.gpu_seconds > 0:
            buyers.add(row.buyer_org_id)
    out.gpu_hours = gpu_hours(total)
    out.by_hub = _hours(seconds["hub"])
    out.by_operator = _hours(seconds["operator"])
    out.by_origin = _hours(seconds["origin"])
    out.energy_by_side = {k: _q(v) for k, v in sorted(energy.items())}
    out.energy_kwh = _q(sum(energy.values(), Decimal(0)))
    out.startups_served = len(buyers)
    return out


def energy_kwh(gpu_seconds: int, tdp_w: int | None, pue: Decimal) -> Decimal:
    """GPU-hours x TDP (kW) x PUE, unrounded (0 when the TDP is unpublished)."""
    if not tdp_w:
        return Decimal(0)
    return Decimal(gpu_seconds) / 3600 * Decimal(tdp_w) / 1000 * pue


def _hours(by: dict[str, int]) -> dict[str, Decimal]:
    return {k: gpu_hours(v) for k, v in sorted(by.items(), key=lambda kv: (-kv[1], kv[0]))}


@dataclass(frozen=True)
class ProgramMoney:
    """What a program's ledger accounts moved, in fen.

    committed: funded into the budget; issued: from the budget onto vouchers; held: what
    contracts reserve on the vouchers now; spent: paid out of vouchers, net of reversals;
    returned: from vouchers back to the budget (expiry, clawback).
    """

    program_id: int
    name: str
    city: str | None
    committed: int = 0
    issued: int = 0
    held: int = 0
    spent: int = 0
    returned: int = 0
    name_zh: str | None = None

    @property
    def uncommitted_vouchers(self) -> int:
        """Issued and still on vouchers, neither held nor spent nor returned."""
        return self.issued - self.held - self.spent - self.returned


def totals(programs: Iterable[ProgramMoney], *, name: str = "all") -> ProgramMoney:
    """Program figures added up (e.g. for a city or for the whole country)."""
    rows = list(programs)
    return ProgramMoney(
        program_id=0, name=name, city=None,
        committed=sum(p.committed for p in rows), issued=sum(p.issued for p in rows),
        held=sum(p.held for p in rows), spent=sum(p.spent for p in rows),
        returned=sum(p.returned for p in rows))


def by_city(programs: Iterable[ProgramMoney]) -> list[ProgramMoney]:
    """One line per city, for the regulator's view across cities."""
    groups: dict[str, list[ProgramMoney]] = defaultdict(list)
    for program in programs:
        groups[program.city or "-"].append(program)
    return [replace(totals(rows, name=city), city=city) for city, rows in sorted(groups.items())]
