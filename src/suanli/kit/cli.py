"""What every command module shares: the consoles, `fail`, and the configured database.

Domain commands import these from here, not from `suanli.cli`, which stands above every
domain and mounts their commands.
"""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    err.print(f"error: {message}", markup=False, highlight=False)
    return typer.Exit(code)


def sessions() -> sessionmaker[Session]:
    return make_sessionmaker(engine())


def engine() -> Engine:
    """The configured database, with every domain's tables known."""
    from suanli.models_registry import load_all_models

    load_all_models()
    return make_engine(get_settings().database_url)
