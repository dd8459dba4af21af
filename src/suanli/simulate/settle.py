"""Settlement of one simulated contract with the REAL arithmetic of ``settlement.charges``.

The provider delivers ``delivery_ratio`` of the contracted GPU-hours (rounded half-even
to the GPU-second); the charge is GPU-seconds x price; the voucher pays its rate of it up
to the voucher hold the round placed (the assignment's subsidy), the buyer the rest up to
its own hold (the assignment's buyer share).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from suanli.settlement.charges import SECONDS_PER_HOUR, charge_fen, split


@dataclass(frozen=True)
class Settled:
    """What one contract's settlement moved, in fen, and the GPU-hours delivered."""

    gpu_hours: Decimal
    cost_fen: int
    voucher_fen: int
    buyer_fen: int
    uncovered_fen: int


def settle_contract(*, gpu_hours: Decimal, delivery_ratio: Decimal, unit_price_fen: int,
                    rate: Decimal, hold_fen: int, buyer_hold_fen: int) -> Settled:
    """Settle the delivered share of a contract (see the module docstring)."""
    delivered = gpu_hours * SECONDS_PER_HOUR * delivery_ratio
    gpu_seconds = int(delivered.to_integral_value(rounding=ROUND_HALF_EVEN))
    charge = charge_fen(gpu_seconds, unit_price_fen)
    shares = split(charge, rate=rate, voucher_room=hold_fen, buyer_room=buyer_hold_fen)
    return Settled(
        gpu_hours=Decimal(gpu_seconds) / SECONDS_PER_HOUR,
        cost_fen=shares.charge,
        voucher_fen=shares.voucher,
        buyer_fen=shares.buyer,
        uncovered_fen=shares.uncovered,
    )
