"""The same-chip comparison: state-run against commercial per chip, so that a different
chip mix on the two sides does not move the figure."""

from __future__ import annotations

from suanli.simulate.metrics import Match, Tally, summarise


def _match(operator: str, chip: str, hours: float, paid_fen: int) -> Match:
    return Match(startup="s", hub="gs-qingyang", side="west", operator=operator,
                 domestic=chip == "ascend-910b", voucher=True, gpu_hours=hours,
                 cost_fen=paid_fen * 2, voucher_fen=paid_fen, buyer_fen=paid_fen,
                 energy_kwh=0.0, accelerator=chip)


def test_same_chip_gap_is_weighted_per_chip_and_ignores_the_mix() -> None:
    tally = Tally(budget_fen=1, energy_price_fen=0)
    # h20: 4.00 state vs 8.00 commercial (50 % cheaper); 910B: 6.00 vs 8.00 (25 %).
    # State bought mostly cheap H20s, commercial mostly 910Bs: the mix flatters state-run.
    for match in (_match("state", "h20", 300, 1200_00), _match("commercial", "h20", 100, 800_00),
                  _match("state", "ascend-910b", 100, 600_00),
                  _match("commercial", "ascend-910b", 300, 2400_00),
                  _match("state", "l20", 50, 100_00)):  # only state-run: no comparison
        tally.add_match(match)
    prices = summarise(tally)["prices"]
    assert prices["by_chip_and_operator"]["h20"] == {
        "state": "4.00", "commercial": "8.00", "state_cheaper": 0.5}
    assert prices["by_chip_and_operator"]["ascend-910b"]["state_cheaper"] == 0.25
    assert prices["by_chip_and_operator"]["l20"] == {"state": "2.00", "commercial": None}
    assert prices["same_chip_state_cheaper"] == round((0.5 * 400 + 0.25 * 400) / 800, 4)
    # The plain average mixes chips: (1900/450) against (3200/400) per GPU-hour.
    assert prices["state_cheaper_than_commercial"] == round(1 - (1900 / 450) / (3200 / 400), 4)
