"""Helpers for the simulator tests: the small scenario as data, and variants of it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from suanli.simulate.loading import merge, parse_scenario
from suanli.simulate.scenario import Scenario

SMALL = Path(__file__).with_name("small.yaml")
SCENARIOS = Path(__file__).parents[2] / "src" / "suanli" / "simulate" / "scenarios"


def small_data() -> dict[str, Any]:
    """The small test scenario as a fresh dict."""
    data = yaml.safe_load(SMALL.read_text("utf-8"))
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def variant(**overrides: Any) -> Scenario:
    """The small scenario with nested overrides laid over it (``policy={...}``)."""
    return parse_scenario(merge(small_data(), overrides))
