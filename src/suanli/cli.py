"""The `suanli` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from suanli.config import get_settings
from suanli.kit.cli import console, engine, err, fail, sessions
from suanli.kit.db import make_engine, make_sessionmaker, read_snapshot, unit_of_work

app = typer.Typer(
    name="suanli",
    help="Suanli: compute-voucher programs and a GPU-compute exchange.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(tokens_app, name="tokens")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "heads") -> None:
    """Apply the migrations (all of them by default)."""
    from suanli import migrate

    url = get_settings().database_url
    migrate.upgrade(url, revision)
    console.print(f"database migrated to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision")]) -> None:
    """Undo migrations down to REVISION (`base` removes every table)."""
    from suanli import migrate

    migrate.downgrade(get_settings().database_url, revision)
    console.print(f"database downgraded to {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes", min=1)] = 1,
) -> None:
    """Serve the site and the API."""
    import uvicorn

    from suanli.app import DatabaseNotMigrated, ensure_migrated

    try:
        ensure_migrated(make_engine(get_settings().database_url))
    except DatabaseNotMigrated as exc:
        raise fail(str(exc)) from exc
    console.print(f"Suanli on http://{host}:{port}")
    uvicorn.run("suanli.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning")


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="Whose token")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
) -> None:
    """Create an API token and print its secret (shown once)."""
    from suanli.auth import repository, service

    with unit_of_work(sessions()) as session:
        user = repository.user_by_username(session, username)
        if user is None:
            raise fail(f"username: no user {username!r}", 2)
        issued = service.issue_token(session, user=user, name=name,
                                     expires_in_days=expires_in_days)
    console.print(issued.secret, markup=False, highlight=False)


@audit_app.command("verify")
def audit_verify(
    checkpoints: Annotated[Path | None, typer.Option(
        help="A folder of signed checkpoints: prove the chain still holds each signed head")
    ] = None,
    public_key: Annotated[Path | None, typer.Option(
        help="The regulator's public key (PEM) that signed the checkpoints")] = None,
) -> None:
    """Walk the audit chain; exit 1 naming the first bad record. With --checkpoints and
    --public-key, also exit 1 when a checkpoint's signature fails or the chain no longer
    has the signed hash at its sequence (a rewritten or truncated chain). The result is
    stored for the compliance dashboard."""
    from suanli.audit.checkpoint import CheckpointError, load_public
    from suanli.integrity import service as integrity
    from suanli.integrity.checkpoints import audit_verdict
    from suanli.kit.timeutil import utcnow

    if (checkpoints is None) != (public_key is None):
        raise fail("--checkpoints and --public-key go together", 2)
    try:
        public = load_public(public_key) if public_key is not None else None
    except CheckpointError as exc:
        raise fail(str(exc), 2) from exc
    database, started = engine(), utcnow()
    with read_snapshot(database) as session:  # one moment, without holding up writers
        verdict = audit_verdict(session, directory=checkpoints, public=public)
    with unit_of_work(make_sessionmaker(database)) as session:
        integrity.record_audit(session, verdict, started_at=started,
                               by=integrity.Requester("suanli audit verify"))
    if not verdict.ok:
        where = f" at record {verdict.seq}" if verdict.seq is not None else ""
        raise fail(f"audit chain broken{where}: {verdict.problem}")
    against = " and every signed checkpoint" if checkpoints is not None else ""
    console.print(f"audit chain ok: {verdict.checked} records{against}", highlight=False)


@audit_app.command("keygen")
def audit_keygen(
    out: Annotated[Path, typer.Option(help="Folder for the key pair (not the database's)")],
) -> None:
    """Make an Ed25519 key pair for signing checkpoints: audit-checkpoint.key (mode 0600,
    the regulator keeps it) and audit-checkpoint.pub (for `audit verify`)."""
    from suanli.audit.checkpoint import CheckpointError, generate_keys

    try:
        private, public = generate_keys(out)
    except CheckpointError as exc:
        raise fail(str(exc), 2) from exc
    console.print(f"private key: {private}\npublic key: {public}", highlight=False)


@audit_app.command("checkpoint")
def audit_checkpoint(
    key: Annotated[Path, typer.Option(help="The Ed25519 private key (PEM, mode 0600)")],
    directory: Annotated[Path, typer.Option("--dir", help="Folder the checkpoint file goes into")],
    webhook: Annotated[str | None, typer.Option(
        help="Also POST the checkpoint (JSON) to this URL")] = None,
) -> None:
    """Sign the audit chain's head (sequence, hash and time) and write it into DIR."""
    import httpx

    from suanli.audit.checkpoint import CheckpointError, load_private
    from suanli.integrity.checkpoints import take

    try:
        point, path = take(engine(), load_private(key), directory, webhook=webhook)
    except CheckpointError as exc:
        raise fail(str(exc)) from exc
    except httpx.HTTPError as exc:
        raise fail(f"webhook: the checkpoint is written but the POST failed ({exc})") from exc
    console.print(f"checkpoint of record {point.seq} ({point.hash[:16]}...) written to {path}",
                  highlight=False)


@app.command()
def demo(
    reset: Annotated[bool, typer.Option(help="Delete the database and start over")] = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                              help="Serve the site afterwards")] = True,
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    small: Annotated[bool, typer.Option(
        help="Only the recent week and today, without the ninety days of history")] = False,
) -> None:
    """Build the demo world on the configured database, print the logins, then serve."""
    from suanli.demo import build

    built = build.run(reset=reset, console=console, small=small)
    world = Table(title="The demo world (usage imported as " + ", ".join(built.usage_formats)
                  + ")")
    world.add_column("what")
    world.add_column("how many", justify="right")
    for label, count in built.counts:
        world.add_row(label, f"{count:,}")
    console.print(world)
    table = Table(title="Demo logins (password for all: " + build.DEMO_PASSWORD + ")")
    for column in ("role", "username", "organisation"):
        table.add_column(column)
    for role, username, org in built.logins:
        table.add_row(role, username, org)
    console.print(table)
    if serve_after:
        serve(host="127.0.0.1", port=port, workers=1)


def _mount_domains() -> None:
    """Sub-commands of the domains; each adds one line here."""
    for module, attr, name in _DOMAIN_COMMANDS:
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue  # that domain is not built yet
            raise
        target = getattr(mod, attr)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)  # a single command: `suanli simulate X.yaml`


_DOMAIN_COMMANDS: list[tuple[str, str, str]] = [
    ("suanli.cli_admin", "init_command", "init"),
    ("suanli.cli_admin", "orgs_app", "orgs"),
    ("suanli.cli_admin", "users_app", "users"),
    ("suanli.catalog.cli", "catalog_app", "catalog"),
    ("suanli.vouchers.cli", "vouchers_app", "vouchers"),
    ("suanli.integrity.cli", "ledger_app", "ledger"),  # the ledger's, with `verify`
    ("suanli.integrity.cli", "market_app", "market"),  # the market's, with `verify-capacity`
    ("suanli.settlement.worker", "worker_command", "worker"),
    ("suanli.simulate.cli", "simulate_command", "simulate"),
    ("suanli.metering.cli", "metering_app", "metering"),
    ("suanli.settlement.cli", "settlement_app", "settlement"),
    ("suanli.reports.cli", "report_app", "report"),
    ("suanli.notifications.cli", "notifications_app", "notifications"),
    ("suanli.grants.cli", "grants_app", "grants"),
]
_mount_domains()


def main() -> None:
    """Entry point: usage errors print one line and exit 2."""
    try:
        code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(1)
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # typer has printed the help already
        ctx = getattr(exc, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        err.print(f"error: {where}{message}", markup=False, highlight=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    if isinstance(code, int) and code:
        sys.exit(code)
