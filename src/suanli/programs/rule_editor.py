"""The rule editor's form (pure): a rule tree as nested groups of criteria, read from and
written to flat form fields; structural edits (add a criterion or a group, remove a node)
that work without JavaScript; where a save error's path lands in the form; and the sample
profile the preview evaluates.

A node's form path is "n" and its position from the root, joined by dashes: "n" is the root
group, "n-1" its second part, "n-1-0" the first part of that. Its inputs are `<path>_kind`
and `<path>_not` for a group, `<path>_field`, `<path>_op`, `<path>_value`, `<path>_not` and
`<path>_pick_<item>` (one box per city or choice of an in/not_in) for a criterion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from suanli.kit.money import MoneyError, parse_cny
from suanli.programs.criteria import FIELDS, LIST_VALUE, NO_VALUE, Kind
from suanli.programs.rules import MAX_DEPTH, MAX_NODES

ROOT = "n"
SAMPLE = "s_"


@dataclass
class Criterion:
    path: str
    field: str = ""
    op: str = ""
    value: str = ""
    picks: list[str] = dataclasses.field(default_factory=list)
    negated: bool = False
    json_path: str = ""  # where it lands in the saved tree, e.g. "rules.all[1]"

    @property
    def kind(self) -> str:
        spec = FIELDS.get(self.field)
        return "" if spec is None else str(spec.kind)


@dataclass
class Group:
    path: str
    kind: str = "all"
    parts: list[Criterion | Group] = dataclasses.field(default_factory=list)
    negated: bool = False
    json_path: str = ""


Node = Criterion | Group


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def from_tree(tree: object) -> Group:
    """A stored (or typed) tree as the editor's groups; a bare criterion sits in an `all`."""
    node = _from(tree, ROOT, 0)
    root = node if isinstance(node, Group) else Group(ROOT, parts=[] if node is None
                                                      else [node])
    return renumber(root)


def _from(raw: object, path: str, depth: int, negated: bool = False) -> Node | None:
    if not isinstance(raw, Mapping) or depth > MAX_DEPTH + 1:
        return None
    if "not" in raw:
        return _from(raw["not"], path, depth + 1, not negated)
    for kind in ("all", "any"):
        if isinstance(raw.get(kind), list):
            parts = [_from(p, f"{path}-{i}", depth + 1) for i, p in enumerate(raw[kind])]
            return Group(path, kind, [p for p in parts if p is not None], negated)
    value = raw.get("value")
    picks = [str(v) for v in value] if isinstance(value, list) else []
    return Criterion(path, _text(raw.get("field")), _text(raw.get("op")),
                     "" if picks else _text(value), picks, negated)


def read(fields: Mapping[str, str]) -> Group:
    """The tree the form's fields describe (the root is always a group)."""
    node = _read(fields, ROOT, 0, [0])
    return renumber(node if isinstance(node, Group) else Group(ROOT))


def _ticked(fields: Mapping[str, str], name: str) -> bool:
    return fields.get(name) in {"on", "true", "1", "yes"}


def _read(fields: Mapping[str, str], path: str, depth: int, count: list[int]) -> Node | None:
    count[0] += 1
    if count[0] > MAX_NODES or depth > MAX_DEPTH:
        return None
    if f"{path}_kind" in fields:
        parts: list[Node] = []
        index = 0
        while index < MAX_NODES and any(f"{path}-{index}_{key}" in fields
                                         for key in ("kind", "field")):
            child = _read(fields, f"{path}-{index}", depth + 1, count)
            if child is not None:
                parts.append(child)
            index += 1
        kind = "any" if fields.get(f"{path}_kind") == "any" else "all"
        return Group(path, kind, parts, _ticked(fields, f"{path}_not"))
    if f"{path}_field" not in fields:
        return None
    prefix = f"{path}_pick_"
    picks = [name.removeprefix(prefix) for name, value in fields.items()
             if name.startswith(prefix) and value]
    return Criterion(path, fields.get(f"{path}_field", "").strip(),
                     fields.get(f"{path}_op", "").strip(),
                     fields.get(f"{path}_value", "").strip(), picks,
                     _ticked(fields, f"{path}_not"))


def renumber(group: Group, path: str = ROOT) -> Group:
    """Paths given again from the root (after an edit moved nodes)."""
    group.path = path
    for index, part in enumerate(group.parts):
        if isinstance(part, Group):
            renumber(part, f"{path}-{index}")
        else:
            part.path = f"{path}-{index}"
    return group


def _find(group: Group, path: str) -> Node | None:
    if group.path == path:
        return group
    for part in group.parts:
        if part.path == path:
            return part
        if isinstance(part, Group) and path.startswith(part.path + "-"):
            return _find(part, path)
    return None


def edit(group: Group, action: str) -> Group:
    """`add:<path>` a criterion to a group, `group:<path>` a new group in it (holding one
    criterion), `remove:<path>` a node (not the root); anything else changes nothing."""
    verb, _, path = action.partition(":")
    target = _find(group, path)
    if verb in ("add", "group") and isinstance(target, Group):
        child: Node = Criterion("") if verb == "add" else Group(
            "", "any", [Criterion("")])
        target.parts.append(child)
    elif verb == "remove" and target is not None and target is not group:
        parent = _find(group, path.rsplit("-", 1)[0])
        if isinstance(parent, Group):
            parent.parts.remove(target)
    return renumber(group)


# ---- the tree to save -----------------------------------------------------------------------

def _value(node: Criterion) -> object:
    spec = FIELDS.get(node.field)
    if node.op in LIST_VALUE:
        return node.picks or [v.strip() for v in node.value.split(",") if v.strip()]
    if spec is not None and spec.kind is Kind.COUNT and node.value.isdigit():
        return int(node.value)
    if spec is not None and spec.kind is Kind.FLAG:
        return {"yes": True, "true": True, "no": False, "false": False}.get(
            node.value.lower(), node.value)
    return node.value


def to_tree(group: Group, json_path: str = "rules") -> dict[str, Any]:
    """The tree to save, each node's `json_path` set (blank criteria and groups left out)."""
    group.json_path = json_path
    inner = f"{json_path}.not" if group.negated else json_path
    parts: list[dict[str, Any]] = []
    for part in group.parts:
        where = f"{inner}.{group.kind}[{len(parts)}]"
        if isinstance(part, Group):
            if _blank(part):
                continue
            parts.append(to_tree(part, where))
            continue
        if not part.field:
            continue
        part.json_path = where
        node: dict[str, Any] = {"field": part.field, "op": part.op}
        if part.op not in NO_VALUE:
            node["value"] = _value(part)
        parts.append({"not": node} if part.negated else node)
    tree: dict[str, Any] = {group.kind: parts}
    return {"not": tree} if group.negated else tree


def _blank(group: Group) -> bool:
    return all(_blank(p) if isinstance(p, Group) else not p.field for p in group.parts)


def error_at(group: Group, path: str) -> tuple[str, str] | None:
    """(form path, input) a save error's path (`rules.all[1].value`) names: the deepest node
    it lies in, and the criterion's input (field, op or value) where it says."""
    best: tuple[str, str] | None = None
    for node in _walk(group):
        here = node.json_path
        if here and (path == here or path.startswith((here + ".", here + "["))):
            rest = path.removeprefix(here).removeprefix(".not").lstrip(".")
            which = rest if rest in ("field", "op", "value") else (
                "kind" if isinstance(node, Group) else "value")
            if best is None or len(node.path) >= len(best[0]):
                best = (node.path, which)
    return best


def _walk(group: Group) -> list[Node]:
    out: list[Node] = [group]
    for part in group.parts:
        out += _walk(part) if isinstance(part, Group) else [part]
    return out


# ---- the sample profile ---------------------------------------------------------------------

def sample_defaults(city: str) -> dict[str, str]:
    """A plausible young firm of the program's city, to start the preview from."""
    return {"registered_city": city, "annual_revenue": "3000000.00",
            "research_project_member": "no", "headcount": "40", "company_age_years": "3",
            "model_filings": "1", "credit_record": "ok", "other_subsidies": "",
            "organisation_type": "company", "project_lead": "none",
            "research_project_number": ""}


def sample_of(fields: Mapping[str, str]) -> dict[str, str]:
    """The sample profile's inputs as typed (`s_<field>`)."""
    return {name: fields.get(SAMPLE + name, "").strip() for name in FIELDS}


def facts_of(sample: Mapping[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """The sample as facts for `rules.evaluate` (a blank is not known), and per input what
    is wrong with it."""
    facts: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, spec in FIELDS.items():
        text = sample.get(name, "").strip()
        if not text:
            continue
        try:
            facts[name] = _fact(spec.kind, text, name)
        except ValueError as exc:
            errors[name] = str(exc)
    return facts, errors


def _fact(kind: Kind, text: str, name: str) -> object:
    if kind is Kind.MONEY:
        try:
            return parse_cny(text, field=name)
        except MoneyError as exc:
            raise ValueError(exc.detail) from exc
    if kind is Kind.COUNT:
        if not text.isdigit() or len(text) > 9:
            raise ValueError("must be a whole number >= 0")
        return int(text)
    if kind is Kind.YEARS:
        try:
            years = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("must be a number of years such as 2.5") from exc
        if not years.is_finite() or not 0 <= years < 1000:
            raise ValueError("must be a number of years >= 0")
        return years
    if kind is Kind.FLAG:
        if text not in ("yes", "no"):
            raise ValueError("must be yes or no")
        return text == "yes"
    if kind is Kind.TAGS:
        return [item.strip() for item in text.split(",") if item.strip()]
    return text
