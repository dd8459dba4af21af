"""What every `suanli` command shares: the consoles, one-line failures, the database."""

from __future__ import annotations

import sys
from pathlib import Path

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


def engine() -> Engine:
    """The configured database, with every domain's tables known."""
    from suanli.models_registry import load_all_models

    load_all_models()
    return make_engine(get_settings().database_url)


def sessions() -> sessionmaker[Session]:
    return make_sessionmaker(engine())


def read_password(password: str | None, file: Path | None) -> str:
    """The password given by --password, or the first line of --password-file ("-":
    stdin), or asked twice on the terminal; exit 2 naming the option otherwise."""
    if password is not None and file is not None:
        raise fail("--password-file: give --password or --password-file, not both", 2)
    if password is not None:
        return password
    if file is None:
        if not sys.stdin.isatty():
            raise fail("--password-file: no terminal to ask for the password on; "
                       "give --password-file FILE", 2)
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise fail(f"--password-file: cannot read {file}: {problem}", 2) from None
    lines = text.splitlines()
    return lines[0] if lines else ""
