"""Reading scenario files: YAML, ``base:`` inheritance, and errors that name the YAML path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from suanli.kit.errors import ValidationFailed
from suanli.simulate.eligibility import policy_tiers, rule_problems, rule_tree
from suanli.simulate.funding import Funding
from suanli.simulate.scenario import Scenario


class ScenarioError(ValueError):
    """A scenario that cannot be run; ``problems`` holds one ``path: rule`` line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def error_path(loc: tuple[int | str, ...]) -> str:
    """``('world', 'clusters', 3, 'hub')`` -> ``world.clusters[3].hub``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "scenario"


def _message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required"
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Pydantic's own rules read "Input should be ..."; say it the way the rest do.
    return message.replace("Input should be", "must be", 1)


def problems_of(exc: ValidationError) -> list[str]:
    """One ``yaml.path: rule`` line per validation error."""
    lines = []
    for error in exc.errors():
        # Typed unions add the type name to the location; it means nothing in YAML.
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        lines.append(f"{error_path(loc)}: {_message(error)}")
    return lines


def parse_scenario(data: object) -> Scenario:
    """A validated scenario from parsed YAML; ScenarioError names every bad path."""
    if not isinstance(data, dict):
        raise ScenarioError(["scenario: must be a mapping of keys to values"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_of(exc)) from None
    eligibility = scenario.policy.eligibility
    # The real evaluator's own check: structure, fields, operators, and "can never pass".
    if eligibility.rule is not None:
        found = rule_problems(eligibility.rule, "policy.eligibility.rule")
    else:
        found = [f"policy.eligibility.thresholds: {line.split(': ', 1)[1]}"
                 for line in rule_problems(rule_tree(eligibility), "rule")]
    if found:
        raise ScenarioError(found)
    try:  # the programs core's own checks, naming e.g. policy.tiers[0].rate
        Funding.of(scenario.policy.funders, scenario.policy.budget_cny)
        policy_tiers(scenario.policy)
    except ValidationFailed as exc:
        raise ScenarioError([f"policy.{exc.field}: {exc.detail}"]) from None
    return scenario


def merge(base: Any, override: Any) -> Any:
    """``override`` laid over ``base``: mappings merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base.get(key), value) if key in base else value
        return merged
    return override


def _read_yaml(path: Path, chain: tuple[Path, ...]) -> object:
    """Parsed YAML of ``path``, laid over the file its ``base`` key names (relative to it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "scenario"
        raise ScenarioError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict) or "base" not in data:
        return data
    base = data.pop("base")
    if not isinstance(base, str) or not base.strip():
        raise ScenarioError(["base: must be the path of another scenario file"])
    base_path = (path.parent / base).resolve()
    if base_path in chain:
        raise ScenarioError([f"base: {base} leads back to itself"])
    return merge(_read_yaml(base_path, (*chain, base_path)), data)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; ScenarioError on unreadable YAML or any bad field.

    A ``base: other.yaml`` key lays this file over another scenario (see :func:`merge`),
    so that variants repeat only what they change.
    """
    resolved = Path(path).resolve()
    return parse_scenario(_read_yaml(resolved, (resolved,)))
