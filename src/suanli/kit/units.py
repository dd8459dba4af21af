"""GPU time as pages, invoices and reports show it (pure)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

HUNDREDTH = Decimal("0.01")


def gpu_hours(gpu_seconds: int) -> Decimal:
    """GPU-seconds as GPU-hours, rounded half-even to the hundredth."""
    return (Decimal(gpu_seconds) / 3600).quantize(HUNDREDTH, rounding=ROUND_HALF_EVEN)
