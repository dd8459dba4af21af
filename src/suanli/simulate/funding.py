"""Co-funding in the simulator, as a program holds it (pure): each funder's budget, each
voucher's split (its tier's `funder_shares`, else the funders' shares), what each funder
put into vouchers, what it paid and what came back, exact to the fen (`programs.funders`).

Without funders the policy's budget is one pot and nothing here is used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from suanli.kit.money import format_cny
from suanli.programs import funders


@dataclass
class Funding:
    """The funders of a policy and their money so far."""

    names: list[str]
    labels: list[str]
    shares: list[str]
    shares_bp: list[int]
    left: list[int]  # unissued budget of each funder
    issued: list[int] = field(default_factory=list)
    paid: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, raw: list[dict[str, Any]], budget_fen: int) -> Funding | None:
        """The checked funders (ValidationFailed naming `funders...`); None: no funders."""
        checked = funders.check(raw)
        if not checked:
            return None
        bp = funders.shares_bp(checked)
        n = len(checked)
        return cls([f["name"] for f in checked], [f.get("label", "") for f in checked],
                    [f["share"] for f in checked], bp, funders.allocate(budget_fen, bp),
                    [0] * n, [0] * n, [0] * n)

    def split(self, tier_split: tuple[int, ...] | None) -> tuple[int, ...]:
        return tuple(tier_split) if tier_split else tuple(self.shares_bp)

    def parts(self, amount: int, split: tuple[int, ...]) -> list[int]:
        return funders.allocate(amount, split)

    def can_issue(self, amount: int, split: tuple[int, ...]) -> bool:
        return all(p <= left for p, left in zip(self.parts(amount, split), self.left,
                                                strict=True))

    def issue(self, amount: int, split: tuple[int, ...]) -> list[int]:
        """Take each funder's part of a voucher from its budget; the parts."""
        parts = self.parts(amount, split)
        for i, part in enumerate(parts):
            self.left[i] -= part
            self.issued[i] += part
        return parts

    def spend(self, before: int, after: int, split: tuple[int, ...]) -> None:
        """A voucher's spending went from `before` to `after`: each funder's share of it,
        from running totals (so the parts of one voucher never drift)."""
        old, new = self.parts(before, split), self.parts(after, split)
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            self.paid[i] += b - a

    def give_back(self, amount: int, split: tuple[int, ...], put_in: list[int]) -> None:
        """A voucher's unspent money back, none getting more than it put in."""
        back = funders.allocate_within(amount, split, put_in)
        for i, part in enumerate(back):
            self.left[i] += part
            self.returned[i] += part

    def as_json(self) -> list[dict[str, Any]]:
        return [{"name": name, "label": label, "share": share,
                 "issued_cny": format_cny(issued), "spent_cny": format_cny(paid),
                 "returned_cny": format_cny(back), "left_cny": format_cny(left)}
                for name, label, share, issued, paid, back, left in zip(
                    self.names, self.labels, self.shares, self.issued, self.paid,
                    self.returned, self.left, strict=True)]
