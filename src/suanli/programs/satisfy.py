"""Whether an eligibility rule can ever pass (pure), and a profile that passes it.

Every criterion tests one field against constants, so the truth of each criterion depends
only on where a value lies among the constants of its field. A handful of representative
values per field (each constant, its neighbours, a value matching no constant) therefore
covers every case. A node's satisfying set is a list of boxes (per field, the representatives
allowed); `all` intersects, `any` unites, `not` flips the polarity down to the criteria.
When the boxes grow past a bound the answer is "unknown", and an unknown rule is accepted:
the check refuses only what it has proved can never pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import combinations

from suanli.programs.criteria import NEGATION, NO_VALUE, Field, Kind, Value, holds
from suanli.programs.rules import All, AnyOf, Criterion, Node, Not, Problem, describe

Rep = int | Decimal | bool | str | tuple[str, ...]
Box = dict[str, frozenset[Rep]]  # a field absent from a box is unconstrained
Boxes = list[Box] | None  # None: unknown (too many cases); [] : can never hold
MAX_BOXES = 4096
MAX_TAG_LABELS = 6
OTHER = "\x01other"  # a value equal to no constant and beginning with no prefix
YEAR_STEP = Decimal("0.001")


def representatives(node: Node) -> dict[str, tuple[Rep, ...]]:
    """Per field of the rule, values that between them meet every case of its criteria."""
    consts: dict[str, list[Value]] = {}
    fields: dict[str, Field] = {}
    for criterion in _criteria(node):
        fields[criterion.field.name] = criterion.field
        values = consts.setdefault(criterion.field.name, [])
        if isinstance(criterion.value, tuple):
            values.extend(criterion.value)
        elif criterion.value is not None:
            values.append(criterion.value)
    reps: dict[str, tuple[Rep, ...]] = {}
    for name, field in fields.items():
        found = _reps(field, consts[name])
        if found is not None:
            reps[name] = found
    return reps


def _criteria(node: Node) -> Iterable[Criterion]:
    if isinstance(node, Criterion):
        yield node
    elif isinstance(node, Not):
        yield from _criteria(node.part)
    else:
        for part in node.parts:
            yield from _criteria(part)


def _reps(field: Field, consts: list[Value]) -> tuple[Rep, ...] | None:
    kind = field.kind
    if kind in (Kind.MONEY, Kind.COUNT, Kind.YEARS):
        step: int | Decimal = YEAR_STEP if kind is Kind.YEARS else 1
        zero: int | Decimal = Decimal(0) if kind is Kind.YEARS else 0
        points: set[int | Decimal] = {zero}
        for c in consts:
            assert isinstance(c, (int, Decimal))
            points.update(p for p in (c - step, c, c + step) if p >= 0)
        return tuple(sorted(points))
    if kind is Kind.FLAG:
        return (False, True)
    texts = sorted({str(c) for c in consts})
    if kind is Kind.TEXT:
        return ("", *texts, *(t + "\x00" for t in texts), OTHER)
    if kind is Kind.CHOICE:
        return field.choices
    if kind is Kind.CITY:
        return (*texts, OTHER)
    if len(texts) > MAX_TAG_LABELS:
        return None  # too many labels to enumerate: criteria on this field stay unknown
    labels = [*texts, OTHER]
    return tuple(tuple(combo) for size in range(len(labels) + 1)
                 for combo in combinations(labels, size))


def _meet(a: Box, b: Box) -> Box | None:
    out = dict(a)
    for name, allowed in b.items():
        both = out[name] & allowed if name in out else allowed
        if not both:
            return None
        out[name] = both
    return out


def _dedupe(boxes: list[Box]) -> list[Box]:
    seen: dict[tuple[tuple[str, frozenset[Rep]], ...], Box] = {}
    for box in boxes:
        seen.setdefault(tuple(sorted(box.items(), key=lambda item: item[0])), box)
    return list(seen.values())


class _Solver:
    def __init__(self, node: Node) -> None:
        self.reps = representatives(node)
        self.problem: Problem | None = None

    def boxes(self, node: Node, positive: bool) -> Boxes:
        if isinstance(node, Criterion):
            return self._criterion(node, positive)
        if isinstance(node, Not):
            return self.boxes(node.part, not positive)
        conjunction = isinstance(node, All) == positive
        kind = "all" if isinstance(node, All) else "any"
        if conjunction:
            return self._conjunction(node, positive, kind)
        return self._disjunction(node, positive, kind)

    def _criterion(self, node: Criterion, positive: bool) -> Boxes:
        reps = self.reps.get(node.field.name)
        if reps is None:
            return None
        op = node.op if positive else NEGATION[node.op]
        allowed = frozenset(r for r in reps if holds(op, r, node.value))
        if not allowed:
            where = f"{node.path}.{'op' if node.op in NO_VALUE else 'value'}"
            said = describe(node)
            self._refuse(where, f"“{said}” can never {'hold' if positive else 'fail'}, "
                                "so the rule can never pass")
            return []
        return [{} if len(allowed) == len(reps) else {node.field.name: allowed}]

    def _conjunction(self, node: All | AnyOf, positive: bool, kind: str) -> Boxes:
        running: Boxes = [{}]
        for part in node.parts:
            found = self.boxes(part, positive)
            if found == []:
                return []  # the part reported its own problem
            if running is None or found is None:
                running = None
                continue
            running = _dedupe([m for a in running for b in found
                               if (m := _meet(a, b)) is not None])
            if not running:
                where = part.path + (".value" if isinstance(part, Criterion)
                                     and part.op not in NO_VALUE else "")
                self._refuse(where, f"contradicts the conditions before it in "
                                    f"{node.path}.{kind}, so the rule can never pass")
                return []
            if len(running) > MAX_BOXES:
                running = None
        return running

    def _disjunction(self, node: All | AnyOf, positive: bool, kind: str) -> Boxes:
        saved = self.problem
        united: Boxes = []
        for part in node.parts:
            found = self.boxes(part, positive)
            if found is None or united is None:
                united = None
                continue
            united = _dedupe(united + found)
            if len(united) > MAX_BOXES:
                united = None
        if united == []:
            if len(node.parts) == 1:
                return []  # the one alternative reported its own problem
            self.problem = saved
            self._refuse(f"{node.path}.{kind}", "none of these alternatives can hold, so the "
                                                "rule can never pass")
            return []
        self.problem = saved  # a dead alternative beside a live one is not a refusal
        return united

    def _refuse(self, path: str, message: str) -> None:
        if self.problem is None:
            self.problem = Problem(path, message)


def never_passes(node: Node) -> Problem | None:
    """The problem to report when the rule provably can never pass; None otherwise."""
    solver = _Solver(node)
    found = solver.boxes(node, True)
    return solver.problem if found == [] else None


def witness(node: Node) -> dict[str, object] | None:
    """Facts that make the rule pass, or None when it never can or the search gave up."""
    solver = _Solver(node)
    found = solver.boxes(node, True)
    if not found:
        return None
    box = found[0]
    facts: dict[str, object] = {}
    for name, reps in solver.reps.items():
        choice = min(box[name], key=repr) if name in box else reps[0]
        facts[name] = list(choice) if isinstance(choice, tuple) else choice
    return facts
