"""Export-control classification of accelerators under US ECCN 3A090 (rule of 2023-10-17).

TPP (total processing performance) is the maximum over precisions of dense TOPS x bit
length; here BF16 TFLOPS x 16 and INT8 TOPS x 8, either of which may be unknown. Only the
precisions we hold figures for are counted: a chip whose unlisted precisions (FP8, INT4)
would score higher is not detected, which does not matter for today's catalogue, where
INT8 x 8 equals BF16 x 16. PD (performance density) is TPP / die area in mm^2.

- 3A090.a: TPP >= 4800 (a.1), or TPP >= 1600 and PD >= 5.92 (a.2).
- 3A090.b: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92 (b.1), or TPP >= 1600 and
  3.2 <= PD < 5.92 (b.2).
- Note 2: a chip not designed or marketed for data centres is outside 3A090 below TPP 4800.
- ``undetermined`` when a missing figure decides: no TPP figure at all, or a data-centre
  chip with 1600 <= TPP < 4800 whose die area is unknown.

All comparisons are exact (``Fraction``): PD >= 5.92 is decided as TPP >= 5.92 x die area,
never on a rounded quotient. The reported figures are truncated, never rounded up (TPP to
0.1, PD to 0.01), so a reported figure is always on the same side of every threshold as
the exact one: a PD of 5.9199 is reported as 5.91, not 5.92. Floats are read through
``str()``, i.e. as the decimal figure a person wrote (989.5, not its binary neighbour).
HBM (3A090.c) and computers containing these chips (4A090) are out of scope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from suanli.catalog.accelerators import AcceleratorSpec

Eccn = Literal["3A090.a", "3A090.b", "not-3A090", "undetermined"]
Number = int | float | Decimal

TPP_A1 = Fraction(4800)
TPP_B1 = Fraction(2400)
TPP_FLOOR = Fraction(1600)
PD_A2 = Fraction("5.92")
PD_B2 = Fraction("3.2")
PD_B1 = Fraction("1.6")
# No accelerator comes near a million TFLOPS or mm^2; a larger figure is a unit mix-up.
MAX_FIGURE = Fraction(10**6)

# Strictness of control, for ordering results; undetermined sorts with the unknowns last.
ECCN_RANK: dict[Eccn, int] = {"not-3A090": 0, "3A090.b": 1, "3A090.a": 2, "undetermined": 3}


class FigureError(ValueError):
    """A figure that cannot be classified: negative, not finite, too large, wrong type."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class Classification:
    """The ECCN of one chip, with the clause that decided it and a readable reason.

    ``tpp`` is truncated to 0.1 and ``performance_density`` to 0.01 (never rounded up);
    ``performance_density`` is None exactly when TPP or die area is unknown.
    """

    model: str
    tpp: Decimal | None
    performance_density: Decimal | None
    eccn: Eccn
    clause: str
    reason: str


def check_figure(value: object, field: str, *, positive: bool = False) -> Fraction | None:
    """The exact value of a figure, None for None; FigureError naming ``field`` otherwise.

    Accepts int, float (read as its decimal text) and Decimal; refuses bool, other types,
    NaN and infinities, negatives (or 0 when ``positive``), and values above MAX_FIGURE.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise FigureError(field, "must be a number or null")
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise FigureError(field, "must be a finite number")
    exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if positive and exact <= 0:
        raise FigureError(field, "must be greater than 0")
    if exact < 0:
        raise FigureError(field, "must not be negative")
    if exact > MAX_FIGURE:
        raise FigureError(field, f"must be at most {int(MAX_FIGURE):,} (check the unit)")
    return exact


def _truncate(value: Fraction, places: int) -> Decimal:
    return Decimal(math.floor(value * 10**places)).scaleb(-places)


def _fmt(value: Fraction, places: int) -> str:
    """Truncated figure with thousands separators and no trailing zeros: 15,832 or 19.44."""
    text = f"{_truncate(value, places):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _tpp(bf16: Fraction | None, int8: Fraction | None) -> tuple[Fraction, str] | None:
    """TPP and the figure it came from, or None when neither precision is known."""
    candidates = []
    if bf16 is not None:
        candidates.append((bf16 * 16, f"BF16 {_fmt(bf16, 6)} TFLOPS x 16"))
    if int8 is not None:
        candidates.append((int8 * 8, f"INT8 {_fmt(int8, 6)} TOPS x 8"))
    # On a tie BF16 is named: it is the figure most often quoted.
    return max(candidates, key=lambda c: c[0]) if candidates else None


def _density_verdict(tpp: Fraction, die: Fraction) -> tuple[Eccn, str, str]:
    """The class of a data-centre chip with 1600 <= TPP < 4800 and a known die area."""
    pd = tpp / die
    t, d = _fmt(tpp, 1), _fmt(pd, 2)
    if pd >= PD_A2:
        return (
            "3A090.a",
            "3A090.a.2: TPP >= 1600 and PD >= 5.92",
            f"TPP {t} >= 1,600 and PD {d} >= 5.92",
        )
    if tpp >= TPP_B1 and pd >= PD_B1:
        return (
            "3A090.b",
            "3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92",
            f"TPP {t} is in [2,400, 4,800) and PD {d} is in [1.6, 5.92)",
        )
    if pd >= PD_B2:
        return (
            "3A090.b",
            "3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92",
            f"TPP {t} >= 1,600 and PD {d} is in [3.2, 5.92)",
        )
    why = f"PD {d} < 1.6" if pd < PD_B1 else f"TPP {t} < 2,400 and PD {d} < 3.2"
    return "not-3A090", "below 3A090.b: PD too low for the TPP", f"{why}, so no clause applies"


def _die_bounds(tpp: Fraction) -> str:
    """What the unknown die area would have to be for each class, so a reader can check."""
    pd_b = PD_B1 if tpp >= TPP_B1 else PD_B2
    return (
        f"3A090.a if the die is at most about {_fmt(tpp / PD_A2, 1)} mm², "
        f"3A090.b if at most about {_fmt(tpp / pd_b, 1)} mm², otherwise not 3A090"
    )


def _verdict(tpp: Fraction, die: Fraction | None, datacenter: bool) -> tuple[Eccn, str, str]:
    """ECCN, clause and reason for a known TPP; the thresholds in the order they bite."""
    t = _fmt(tpp, 1)
    if tpp >= TPP_A1:
        return "3A090.a", "3A090.a.1: TPP >= 4800", f"TPP {t} >= 4,800"
    if not datacenter:
        return (
            "not-3A090",
            "Note 2: not a data-centre chip and TPP < 4800",
            f"not designed or marketed for data centres and TPP {t} < 4,800",
        )
    if tpp < TPP_FLOOR:
        return "not-3A090", "below 3A090: TPP < 1600", f"TPP {t} < 1,600"
    if die is None:
        return (
            "undetermined",
            "die area unknown: PD decides for 1600 <= TPP < 4800",
            f"TPP {t} is between 1,600 and 4,800 and the die area is unknown; " + _die_bounds(tpp),
        )
    return _density_verdict(tpp, die)


def classify(
    model: str,
    *,
    bf16_tflops_dense: Number | None,
    int8_tops_dense: Number | None,
    die_mm2: Number | None,
    datacenter: bool,
) -> Classification:
    """Classify one chip under ECCN 3A090 from its dense figures and die area.

    Never guesses a missing figure: the answer is ``undetermined`` only when the missing
    figure could change it. Raises FigureError (naming the field) for a negative,
    non-finite, over-large or non-numeric figure, or a die area that is not above 0.
    """
    bf16 = check_figure(bf16_tflops_dense, "bf16_tflops_dense")
    int8 = check_figure(int8_tops_dense, "int8_tops_dense")
    die = check_figure(die_mm2, "die_mm2", positive=True)
    found = _tpp(bf16, int8)
    if found is None:
        return Classification(
            model, None, None, "undetermined", "TPP unknown",
            "no dense BF16 or INT8 figure, so TPP cannot be computed",
        )  # fmt: skip
    tpp, basis = found
    eccn, clause, reason = _verdict(tpp, die, datacenter)
    pd = None if die is None else _truncate(tpp / die, 2)
    return Classification(model, _truncate(tpp, 1), pd, eccn, clause, f"{reason} ({basis})")


def classify_spec(spec: AcceleratorSpec) -> Classification:
    """Classify a catalogue entry by its model id, figures and data-centre flag."""
    return classify(
        spec.model,
        bf16_tflops_dense=spec.bf16_tflops_dense,
        int8_tops_dense=spec.int8_tops_dense,
        die_mm2=spec.die_mm2,
        datacenter=spec.datacenter,
    )
