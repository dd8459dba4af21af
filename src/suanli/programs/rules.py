"""Eligibility rules as data (pure): a tree of all/any/not over typed criteria on an
applicant's profile, evaluated to pass / fail / needs_review with a sentence per criterion.

A rule is JSON:

    {"all": [{"field": "registered_city", "op": "eq", "value": "shanghai"},
             {"any": [{"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
                      {"field": "research_project_member", "op": "eq", "value": true}]},
             {"not": {"field": "credit_record", "op": "eq", "value": "default_3y"}}]}

`check(tree)` refuses a tree that is malformed, names an unknown field, uses an operator or
value its field does not take, or can never pass, naming the offending node's path
(`rules.all[1].value`). `evaluate(rule, facts)` uses three-valued logic: a criterion whose
fact is missing needs review; `all` fails when any part fails, `any` passes when any part
passes, `not` swaps pass and fail; otherwise needs_review wins over the remaining outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from suanli.programs.criteria import (
    FIELDS,
    NEGATION,
    NO_VALUE,
    NUMERIC_OPS,
    OPS,
    SYMBOLS,
    Field,
    Names,
    Value,
    ValueProblem,
    fact_value,
    holds,
    parse_value,
    rule_value,
    value_text,
)
from suanli.programs.sentences import explain

ROOT = "rules"
MAX_DEPTH = 8
MAX_NODES = 100
CRITERION_KEYS = frozenset({"field", "op", "value"})


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    REVIEW = "needs_review"


@dataclass(frozen=True)
class Criterion:
    field: Field
    op: str
    value: Value
    path: str


@dataclass(frozen=True)
class All:
    parts: tuple[Node, ...]
    path: str


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]
    path: str


@dataclass(frozen=True)
class Not:
    part: Node
    path: str


Node = Criterion | All | AnyOf | Not


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "rules.all[1].value"
    message: str


class RuleError(ValueError):
    """A rule refused; `problems` lists every problem found, the first is the message."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(f"{first.path}: {first.message}")
        self.problems = problems
        self.path = first.path
        self.message = first.message


# ---- reading a tree -----------------------------------------------------------------------

def parse(tree: object, *, root: str = ROOT) -> Node:
    """The tree read into nodes; RuleError naming every structural problem."""
    problems: list[Problem] = []
    counter = [0]
    node = _node(tree, root, 0, problems, counter)
    if problems or node is None:
        raise RuleError(problems or [Problem(root, "is not a rule")])
    return node


def _node(raw: object, path: str, depth: int, problems: list[Problem],
          counter: list[int]) -> Node | None:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        if counter[0] == MAX_NODES + 1:
            problems.append(Problem(path, f"a rule may hold at most {MAX_NODES} nodes"))
        return None
    if depth > MAX_DEPTH:
        problems.append(Problem(path, f"nested deeper than {MAX_DEPTH} levels"))
        return None
    if not isinstance(raw, Mapping):
        problems.append(Problem(path, "must be an object: all, any, not or a criterion"))
        return None
    keys = set(raw)
    for combinator in ("all", "any", "not"):
        if combinator in keys:
            if keys != {combinator}:
                extra = sorted(keys - {combinator})[0]
                problems.append(Problem(f"{path}.{extra}", f"not allowed beside {combinator}"))
                return None
            return _compound(combinator, raw[combinator], path, depth, problems, counter)
    return _criterion(raw, path, problems)


def _compound(kind: str, body: object, path: str, depth: int, problems: list[Problem],
              counter: list[int]) -> Node | None:
    here = f"{path}.{kind}"
    if kind == "not":
        inner = _node(body, here, depth + 1, problems, counter)
        return None if inner is None else Not(inner, path)
    if not isinstance(body, list):
        problems.append(Problem(here, "must be a list of rules"))
        return None
    if kind == "any" and not body:
        problems.append(Problem(here, "an empty any can never pass"))
        return None
    parts = [_node(item, f"{here}[{i}]", depth + 1, problems, counter)
             for i, item in enumerate(body)]
    if any(part is None for part in parts):
        return None
    done = tuple(part for part in parts if part is not None)
    return All(done, path) if kind == "all" else AnyOf(done, path)


def _criterion(raw: Mapping[str, Any], path: str, problems: list[Problem]) -> Node | None:
    for key in sorted(set(raw) - CRITERION_KEYS):
        problems.append(Problem(f"{path}.{key}", "unknown key; a criterion has field, op, "
                                                 "value"))
        return None
    name = raw.get("field")
    field = FIELDS.get(name) if isinstance(name, str) else None
    if field is None:
        problems.append(Problem(f"{path}.field", f"unknown field {name!r}; known: "
                                                 f"{', '.join(FIELDS)}"))
        return None
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPS[field.kind]:
        problems.append(Problem(f"{path}.op", f"{field.name} takes the operators "
                                              f"{', '.join(OPS[field.kind])}, not {op!r}"))
        return None
    if "value" not in raw and op not in NO_VALUE:
        problems.append(Problem(f"{path}.value", "is required"))
        return None
    try:
        value = parse_value(field, op, raw.get("value"))
    except ValueProblem as exc:
        problems.append(Problem(f"{path}.value", str(exc)))
        return None
    return Criterion(field, op, value, path)


def problems(tree: object) -> list[Problem]:
    """Everything wrong with a tree: structure first, then whether it can ever pass."""
    from suanli.programs.satisfy import never_passes

    try:
        node = parse(tree)
    except RuleError as exc:
        return exc.problems
    found = never_passes(node)
    return [] if found is None else [found]


def check(tree: object) -> Node:
    """The parsed tree, or RuleError (with the offending path) for a tree to refuse."""
    found = problems(tree)
    if found:
        raise RuleError(found)
    return parse(tree)


def to_json(node: Node) -> dict[str, Any]:
    """A node as stored: canonical JSON with money as CNY decimal strings."""
    if isinstance(node, Criterion):
        out: dict[str, Any] = {"field": node.field.name, "op": node.op}
        if node.op not in NO_VALUE:
            out["value"] = rule_value(node.field, node.value)
        return out
    if isinstance(node, Not):
        return {"not": to_json(node.part)}
    return {"all" if isinstance(node, All) else "any": [to_json(p) for p in node.parts]}


# ---- evaluating ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One criterion's result. `effect` is how it counts towards passing (inverted under an
    odd number of `not`s); `outcome` is whether the criterion itself held."""

    path: str
    field: str
    op: str
    outcome: Outcome
    effect: Outcome
    key: str
    params: dict[str, str]
    en: str
    zh: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Evaluation:
    outcome: Outcome
    checks: tuple[Check, ...]

    def as_json(self) -> dict[str, Any]:
        return {"outcome": str(self.outcome), "checks": [
            {"path": c.path, "field": c.field, "op": c.op, "outcome": str(c.outcome),
             "effect": str(c.effect), "key": c.key, "params": c.params, "en": c.en,
             "zh": c.zh} for c in self.checks]}


def _flip(outcome: Outcome) -> Outcome:
    return {Outcome.PASS: Outcome.FAIL, Outcome.FAIL: Outcome.PASS}.get(outcome, outcome)


def combine_all(outcomes: list[Outcome]) -> Outcome:
    if Outcome.FAIL in outcomes:
        return Outcome.FAIL
    return Outcome.REVIEW if Outcome.REVIEW in outcomes else Outcome.PASS


def combine_any(outcomes: list[Outcome]) -> Outcome:
    if Outcome.PASS in outcomes:
        return Outcome.PASS
    return Outcome.REVIEW if Outcome.REVIEW in outcomes else Outcome.FAIL


def evaluate(rule: Node | Mapping[str, Any], facts: Mapping[str, object],
             names: Names | None = None) -> Evaluation:
    """Evaluate a rule against an applicant's facts (field name -> value; absent = unknown).

    Money facts are int fen; years a number; tags a list. Every criterion is evaluated, so
    the applicant sees every sentence, not only the first failure.
    """
    node = rule if isinstance(rule, (Criterion, All, AnyOf, Not)) else parse(rule)
    checks: list[Check] = []
    outcome = _eval(node, facts, names, False, checks)
    return Evaluation(outcome, tuple(checks))


def _eval(node: Node, facts: Mapping[str, object], names: Names | None, negated: bool,
          checks: list[Check]) -> Outcome:
    if isinstance(node, Criterion):
        fact = fact_value(node.field, facts.get(node.field.name))
        held = None if fact is None else holds(node.op, fact, node.value)
        outcome = Outcome.REVIEW if held is None else (Outcome.PASS if held else Outcome.FAIL)
        # Under an odd number of `not`s the sentence reads the opposite criterion, so that
        # a line marked met says what was met ("not the excluded ..."), never "... is required".
        op = NEGATION[node.op] if negated else node.op
        said = explain(node.field, op, node.value, fact,
                       None if held is None else held != negated, names)
        checks.append(Check(node.path, node.field.name, node.op, outcome,
                            _flip(outcome) if negated else outcome, said.key, said.params,
                            said.en, said.zh))
        return outcome
    if isinstance(node, Not):
        return _flip(_eval(node.part, facts, names, not negated, checks))
    outcomes = [_eval(part, facts, names, negated, checks) for part in node.parts]
    return combine_all(outcomes) if isinstance(node, All) else combine_any(outcomes)


# ---- describing ---------------------------------------------------------------------------

WORDS = {
    "en": {"and": " and ", "or": " or ", "not": "not ", "in": "is one of", "not_in":
           "is not one of", "present": "is given", "absent": "is not given", "prefix":
           "begins with", "not_prefix": "does not begin with", "empty": "none",
           "not_empty": "at least one", "contains": "include", "not_contains":
           "do not include", "always": "always"},
    "zh": {"and": "且", "or": "或", "not": "非", "in": "属于", "not_in": "不属于",
           "present": "已提供", "absent": "未提供", "prefix": "开头为", "not_prefix":
           "开头不为", "empty": "无", "not_empty": "至少一项", "contains": "包括",
           "not_contains": "不包括", "always": "始终通过"},
}


def describe(node: Node | Mapping[str, Any], lang: str = "en",
             names: Names | None = None) -> str:
    """A rule in one line of words, e.g. "annual revenue ≥ 5 m CNY and (…)"."""
    parsed = node if isinstance(node, (Criterion, All, AnyOf, Not)) else parse(node)
    return _describe(parsed, WORDS["zh" if lang == "zh" else "en"], lang, names, top=True)


def _describe(node: Node, words: dict[str, str], lang: str, names: Names | None,
              top: bool = False) -> str:
    if isinstance(node, Criterion):
        label = node.field.zh if lang == "zh" else node.field.en
        if node.op in NO_VALUE:
            return f"{label}: {words[node.op]}" if node.op in ("empty", "not_empty") \
                else f"{label} {words[node.op]}"
        shown = value_text(node.field, node.value, lang, names)
        op = SYMBOLS[node.op] if node.op in NUMERIC_OPS else words[node.op]
        return f"{label} {op} {shown}"
    if isinstance(node, Not) and isinstance(node.part, Criterion):  # "x ≠ y", not "not (x = y)"
        part = node.part
        return _describe(Criterion(part.field, NEGATION[part.op], part.value, part.path),
                         words, lang, names)
    if isinstance(node, Not):
        return words["not"] + "(" + _describe(node.part, words, lang, names) + ")"
    if not node.parts:
        return words["always"]
    joiner = words["and"] if isinstance(node, All) else words["or"]
    text = joiner.join(_describe(p, words, lang, names) for p in node.parts)
    return text if top or len(node.parts) == 1 else f"({text})"
