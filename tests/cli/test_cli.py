"""The command line: help everywhere, one clear line and exit 2 on bad arguments."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from suanli.cli import app


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            out.extend(_commands(command, (*prefix, name)))
        else:
            out.append((*prefix, name))
    return out


ROOT = get_command(app)


@pytest.mark.parametrize("path", _commands(ROOT), ids=lambda p: " ".join(p) or "suanli")
def test_help_everywhere(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from suanli.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=60, env=env, check=False)


def test_unknown_option_exits_2_with_one_line() -> None:
    done = _run("serve", "--port", "notanumber")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error:") and "--port" in lines[0]


def test_unknown_command_exits_2() -> None:
    done = _run("frobnicate")
    assert done.returncode == 2
    assert "frobnicate" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_users_create_bad_role_exits_2(fresh_database: str, monkeypatch: Any) -> None:
    import os

    env = {**os.environ, "SUANLI_DATABASE_URL": fresh_database}
    done = _run("users", "create", "zhang", "--password", "long enough pw",
                "--member", "acme:emperor", env=env)
    assert done.returncode == 2
    assert "--member acme:emperor: role must be one of" in done.stderr
    done = _run("users", "create", "zhang", "--password", "short",
                "--member", "no-such-org:buyer", env=env)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --password: must be at least 10 characters")


def test_users_and_tokens_create(fresh_database: str) -> None:
    import os

    from suanli.auth import service
    from suanli.auth.roles import OrgKind
    from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work

    with unit_of_work(make_sessionmaker(make_engine(fresh_database))) as session:
        service.create_organisation(session, slug="acme-ai", name="Acme", kind=OrgKind.STARTUP)
    env = {**os.environ, "SUANLI_DATABASE_URL": fresh_database}
    done = _run("users", "create", "zhang", "--name", "Zhang San", "--password", "long enough pw",
                "--member", "acme-ai:buyer", env=env)
    assert done.returncode == 0, done.stderr
    done = _run("tokens", "create", "zhang", "--name", "laptop", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("sl_")
    done = _run("tokens", "create", "nobody", env=env)
    assert done.returncode == 2
    assert "username: no user 'nobody'" in done.stderr


def test_serve_refuses_unmigrated_database(tmp_path: Any) -> None:
    import os

    env = {**os.environ, "SUANLI_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}
    done = _run("serve", "--port", "18765", env=env)
    assert done.returncode == 1
    assert "suanli db upgrade" in done.stderr


def test_typer_app_has_no_args_help() -> None:
    assert isinstance(app, typer.Typer)
    result = CliRunner().invoke(app, [])
    assert "Usage" in result.output
