"""`suanli init`, `suanli orgs ...` and `suanli users ...`: set up an installation from nothing.

Bad input exits 2 with one line naming the option; a refusal that depends on what is
already in the database (initialising twice, an existing username) exits 1.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from suanli.auth.roles import Role
from suanli.kit.cli import console, fail, sessions
from suanli.kit.db import unit_of_work
from suanli.kit.errors import AppError, Conflict, NotFound

users_app = typer.Typer(help="Users and their memberships.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations: authorities, startups, providers, regulators.",
                       no_args_is_help=True)

PasswordOpt = Annotated[str | None, typer.Option(
    "--password", help="At least 10 characters (prefer --password-file: a command line "
                       "is visible to other users of the machine)")]
PasswordFileOpt = Annotated[Path | None, typer.Option(
    "--password-file", help="Read the password from the first line of FILE ('-': stdin); "
                            "without it and --password, it is asked on the terminal")]
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
# The service's field names, as the options a person typed.
OPTIONS = {"password": "--password", "username": "USERNAME", "slug": "SLUG", "name": "--name",
           "kind": "--kind", "city": "--city", "name_zh": "--name-zh"}


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


def _option(field: str | None) -> str:
    if field and field.startswith("memberships["):
        return "--member"
    return OPTIONS.get(field or "", field or "input")


def _refusal(exc: AppError) -> typer.Exit:
    code = 1 if isinstance(exc, Conflict) else 2
    return fail(f"{_option(exc.field)}: {exc.detail}", code)


def _check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise fail(f"USERNAME {username!r}: must be 2-63 lower-case letters, digits, '.', '_' "
                   "or '-'", 2)


def _memberships(member: list[str] | None) -> list[tuple[str, Role]]:
    out: list[tuple[str, Role]] = []
    for item in member or []:
        slug, _, role = item.partition(":")
        if role not in {r.value for r in Role}:
            raise fail(f"--member {item}: role must be one of {', '.join(Role)}", 2)
        out.append((slug, Role(role)))
    return out


def init_command(
    org_slug: Annotated[str, typer.Option("--org-slug", help="The platform organisation's id")
                        ] = "platform",
    org_name: Annotated[str, typer.Option("--org-name", help="Its name")
                        ] = "Compute trading platform",
    username: Annotated[str, typer.Option("--username", help="The first administrator's login")
                        ] = "admin",
    display_name: Annotated[str, typer.Option("--name", help="Name shown on pages")] = "",
    password: PasswordOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Set up an empty, migrated database: the platform organisation and its first
    administrator (platform_admin). Refuses to run a second time."""
    from suanli.auth import service
    from suanli.auth.schemas import OrganisationCreate

    try:
        OrganisationCreate(slug=org_slug, name=org_name, kind="platform")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = {"slug": "--org-slug", "name": "--org-name"}.get(str(first["loc"][0]), "input")
        raise fail(f"{where}: {first['msg']}", 2) from None
    _check_username(username)
    secret = read_password(password, password_file)
    try:
        with unit_of_work(sessions()) as session:
            org, user = service.init_platform(
                session, org_slug=org_slug, org_name=org_name, username=username,
                display_name=display_name or username, password=secret)
            console.print(f"initialised: platform organisation {org.slug} (id {org.id}), "
                          f"administrator {user.username} (id {user.id})")
    except AppError as exc:
        if exc.field == "init":
            raise fail(exc.detail, 1) from None
        raise _refusal(exc) from None


@orgs_app.command("create")
def orgs_create(
    slug: Annotated[str, typer.Argument(help="Lower-case id such as acme-ai")],
    name: Annotated[str, typer.Option("--name", help="The organisation's name")],
    kind: Annotated[str, typer.Option(
        "--kind", help="authority, startup, provider, platform or regulator")],
    name_zh: Annotated[str | None, typer.Option("--name-zh", help="Chinese name")] = None,
    city: Annotated[str | None, typer.Option("--city", help="City id, e.g. beijing")] = None,
) -> None:
    """Create an organisation; its users are added with `suanli users create --member`."""
    from suanli.auth import service
    from suanli.auth.schemas import OrganisationCreate

    try:
        data = OrganisationCreate(slug=slug, name=name, kind=kind, name_zh=name_zh, city=city)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{_option(str(first['loc'][0]))}: {first['msg']}", 2) from None
    try:
        with unit_of_work(sessions()) as session:
            org = service.create_organisation(session, slug=data.slug, name=data.name,
                                              kind=data.kind, name_zh=data.name_zh,
                                              city=data.city)
            console.print(f"created organisation {org.slug} ({org.kind}, id {org.id})")
    except AppError as exc:
        raise _refusal(exc) from None


@orgs_app.command("list")
def orgs_list() -> None:
    """Every organisation with its kind and how many members it has."""
    from suanli.auth import repository

    table = Table(title="Organisations")
    for column in ("id", "slug", "kind", "name", "city"):
        table.add_column(column)
    with unit_of_work(sessions()) as session:
        rows, _ = repository.list_orgs(session, ids=None, limit=10**9, offset=0)
        for org in rows:
            table.add_row(str(org.id), org.slug, str(org.kind), org.name, org.city or "")
    console.print(table)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name")],
    display_name: Annotated[str, typer.Option("--name", help="Name shown on pages")] = "",
    password: PasswordOpt = None,
    password_file: PasswordFileOpt = None,
    member: Annotated[list[str] | None, typer.Option(
        "--member", help="ORG_SLUG:ROLE, repeatable")] = None,
) -> None:
    """Create a user, optionally with memberships such as `--member acme-ai:buyer`."""
    from suanli.auth import service

    _check_username(username)
    memberships = _memberships(member)
    secret = read_password(password, password_file)
    try:
        with unit_of_work(sessions()) as session:
            user = service.create_user(session, username=username,
                                       display_name=display_name or username,
                                       password=secret,
                                       memberships=memberships)
            console.print(f"created user {user.username} (id {user.id})")
    except AppError as exc:
        raise _refusal(exc) from None


@users_app.command("list")
def users_list() -> None:
    """Every user: active or not, and their memberships."""
    from suanli.auth import repository

    table = Table(title="Users")
    for column in ("id", "username", "name", "active", "memberships"):
        table.add_column(column)
    with unit_of_work(sessions()) as session:
        rows, _ = repository.list_users(session, limit=10**9, offset=0)
        for user in rows:
            roles = ", ".join(f"{m.organisation.slug}:{m.role}" for m in user.memberships)
            table.add_row(str(user.id), user.username, user.display_name,
                          "yes" if user.is_active else "no", roles)
    console.print(table)


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Stop a user: no more logins or API calls; open login sessions end."""
    from suanli.auth import service

    try:
        with unit_of_work(sessions()) as session:
            service.deactivate_user(session, username=username)
    except NotFound as exc:
        raise fail(f"USERNAME: {exc.detail}", 2) from None
    console.print(f"deactivated user {username}")


@users_app.command("reset-password")
def users_reset_password(
    username: Annotated[str, typer.Argument(help="Login name")],
    password: PasswordOpt = None,
    password_file: PasswordFileOpt = None,
) -> None:
    """Set a user's password; their open login sessions end."""
    from suanli.auth import service

    secret = read_password(password, password_file)
    try:
        with unit_of_work(sessions()) as session:
            service.reset_password(session, username=username, password=secret)
    except AppError as exc:
        raise _refusal(exc) from None
    console.print(f"password of {username} changed")
