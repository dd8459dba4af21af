"""`suanli init`, `orgs` and `users` on a fresh database, through the command's own entry
point (`suanli.cli.main`: its exit status and stderr lines), in-process to keep them quick."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from suanli.auth import repository, service
from suanli.auth.models import LoginSession
from suanli.cli import main
from suanli.config import get_settings
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


Run = Callable[..., Done]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """run(url, *args, stdin=None): the `suanli` command with these arguments."""

    def invoke(url: str, *args: str, stdin: str | None = None) -> Done:
        monkeypatch.setenv("SUANLI_DATABASE_URL", url)
        monkeypatch.setenv("COLUMNS", "200")
        get_settings.cache_clear()
        monkeypatch.setattr(sys, "argv", ["suanli", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return invoke


def one_line(done: Done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_init_creates_the_platform_and_refuses_a_second_time(fresh_database: str,
                                                             tmp_path: Path, run: Run) -> None:
    secret = tmp_path / "pw"
    secret.write_text("a long admin password\n", encoding="utf-8")
    done = run(fresh_database, "init", "--org-slug", "shanghai-dispatch", "--username", "root",
               "--password-file", str(secret))
    assert done.returncode == 0, done.stderr
    assert "platform organisation shanghai-dispatch" in done.stdout
    with unit_of_work(make_sessionmaker(make_engine(fresh_database))) as session:
        user = repository.user_by_username(session, "root")
        assert user is not None
        assert [(m.organisation.slug, m.role) for m in user.memberships] == [
            ("shanghai-dispatch", "platform_admin")]
        assert service.login(session, username="root", password="a long admin password",
                             client="t", ttl_s=60, max_failures=5, window_s=60, csrf_key="k")
    again = run(fresh_database, "init", "--password-file", str(secret))
    assert again.returncode == 1
    assert one_line(again).startswith("error: already initialised: platform organisation "
                                      "'shanghai-dispatch' exists")


def test_init_password_from_stdin_and_bad_input(fresh_database: str, tmp_path: Path,
                                                run: Run) -> None:
    short = run(fresh_database, "init", "--password-file", "-", stdin="short\n")
    assert short.returncode == 2
    assert one_line(short) == "error: --password: must be at least 10 characters"
    no_tty = run(fresh_database, "init", stdin="")
    assert no_tty.returncode == 2 and one_line(no_tty).startswith("error: --password-file:")
    missing = run(fresh_database, "init", "--password-file", str(tmp_path / "absent"))
    assert missing.returncode == 2 and "--password-file: cannot read" in one_line(missing)
    slug = run(fresh_database, "init", "--org-slug", "Bad Slug", "--password-file", "-",
               stdin="long enough pw\n")
    assert slug.returncode == 2 and one_line(slug).startswith("error: --org-slug:")
    user = run(fresh_database, "init", "--username", "Root!", "--password-file", "-",
               stdin="long enough pw\n")
    assert user.returncode == 2 and one_line(user).startswith("error: USERNAME 'Root!':")
    done = run(fresh_database, "init", "--password-file", "-", stdin="long enough pw\n")
    assert done.returncode == 0, done.stderr  # nothing half-written by the refusals


def test_orgs_and_users_lifecycle(fresh_database: str, run: Run) -> None:
    made = run(fresh_database, "orgs", "create", "acme-ai", "--name", "Acme AI",
               "--kind", "startup", "--city", "beijing")
    assert made.returncode == 0, made.stderr
    twice = run(fresh_database, "orgs", "create", "acme-ai", "--name", "Acme", "--kind",
                "startup")
    assert twice.returncode == 1 and one_line(twice) == (
        "error: SLUG: organisation 'acme-ai' already exists")
    bad_kind = run(fresh_database, "orgs", "create", "x-co", "--name", "X", "--kind", "bank")
    assert bad_kind.returncode == 2 and one_line(bad_kind).startswith("error: --kind:")
    listed = run(fresh_database, "orgs", "list")
    assert "acme-ai" in listed.stdout and "startup" in listed.stdout

    user = run(fresh_database, "users", "create", "li", "--member", "acme-ai:buyer",
               "--password-file", "-", stdin="first password\n")
    assert user.returncode == 0, user.stderr
    wrong_kind = run(fresh_database, "users", "create", "wang", "--member",
                     "acme-ai:provider", "--password", "long enough pw")
    assert wrong_kind.returncode == 2 and one_line(wrong_kind).startswith(
        "error: --member: role provider is held in organisations of kind provider")
    factory = make_sessionmaker(make_engine(fresh_database))
    with unit_of_work(factory) as session:
        service.login(session, username="li", password="first password", client="t",
                      ttl_s=600, max_failures=5, window_s=60, csrf_key="k")

    reset = run(fresh_database, "users", "reset-password", "li", "--password-file", "-",
                stdin="second password\n")
    assert reset.returncode == 0, reset.stderr
    with unit_of_work(factory) as session:
        assert all(s.revoked_at is not None for s in session.query(LoginSession))
        assert service.login(session, username="li", password="second password", client="t",
                             ttl_s=600, max_failures=5, window_s=60, csrf_key="k")
    off = run(fresh_database, "users", "deactivate", "li")
    assert off.returncode == 0, off.stderr
    listed = run(fresh_database, "users", "list")
    assert "li" in listed.stdout and "acme-ai:buyer" in listed.stdout and " no " in listed.stdout
    nobody = run(fresh_database, "users", "deactivate", "nobody")
    assert nobody.returncode == 2 and one_line(nobody) == "error: USERNAME: no user 'nobody'"
    with unit_of_work(factory) as session:
        user_row = repository.user_by_username(session, "li")
        assert user_row is not None and not user_row.is_active
        assert all(s.revoked_at is not None for s in session.query(LoginSession))


def test_python_dash_m_suanli_is_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "suanli", "--help"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert "init" in done.stdout and "orgs" in done.stdout
