"""Pricing model-service tokens (pure): integer fen from running totals.

A subscription is billed from its running totals, never per record: the charge for all
the tokens so far is `round_half_up((in x price_in + out x price_out) / 1,000,000)` fen,
and a settlement bills what that adds to what earlier settlements billed, so rounding never
drifts however the usage is cut into records or settlements. The voucher's part follows
the same way: `floor(charge_total x rate)` less what the voucher paid before, at most what
the voucher has left (the buyer pays the rest)."""

from __future__ import annotations

from dataclasses import dataclass

from suanli.programs.rates import BP

PER = 1_000_000  # prices are per million tokens


def charge_total(tokens_in: int, tokens_out: int, price_in_fen: int, price_out_fen: int) -> int:
    """The whole charge of these token totals, in fen, rounded half up."""
    numerator = tokens_in * price_in_fen + tokens_out * price_out_fen
    return (2 * numerator + PER) // (2 * PER)


def voucher_rate(rate_state_bp: int, rate_commercial_bp: int, max_rate_bp: int) -> int:
    """A model voucher's rate: its program's (one rate for every provider; no domestic-chip
    bonus, a model service has no chip to show), never above its maximum."""
    return min(max_rate_bp, max(rate_state_bp, rate_commercial_bp))


@dataclass(frozen=True)
class TokenBill:
    """What one settlement of a subscription bills: the charge it adds, the voucher's part
    and the buyer's part (they sum to the charge)."""

    charge: int
    subsidy: int
    buyer: int
    charge_total: int  # the running totals after this bill
    subsidy_total: int


def bill(*, tokens_in: int, tokens_out: int, price_in_fen: int, price_out_fen: int,
         billed: int, subsidised: int, rate_bp: int, voucher_left: int) -> TokenBill:
    """The bill for the token totals so far, after `billed` fen (of which the voucher paid
    `subsidised`) were billed before; the voucher pays at most `voucher_left`."""
    total = charge_total(tokens_in, tokens_out, price_in_fen, price_out_fen)
    charge = max(0, total - billed)
    due = max(0, total * rate_bp // BP - subsidised)
    subsidy = min(due, charge, max(0, voucher_left))
    return TokenBill(charge, subsidy, charge - subsidy, billed + charge, subsidised + subsidy)
