"""Imports every domain's models so that Base.metadata knows all tables.

Each domain adds one import line here when it gains tables.
"""

from __future__ import annotations


def load_all_models() -> None:
    pass
