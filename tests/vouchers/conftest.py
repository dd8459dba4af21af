"""Fixtures of the voucher-world tests (see tests/programs/world.py)."""

from tests.programs.world import docs_dir, world

__all__ = ["docs_dir", "world"]
