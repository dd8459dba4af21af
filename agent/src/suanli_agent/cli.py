"""``suanli-agent``: the provider agent's command line.

Exit statuses: 0 done (``attest``: the inventory matched); 1 ``attest`` recorded a
mismatch (the cluster is suspended); 2 bad input (an option, a key, inventory or state
file), one line naming it; 3 the platform (or the exporter) refused or could not be
reached; 4 no NVML on this machine. Heavy modules are imported by the command that needs
them, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from suanli_agent import __version__
from suanli_agent.errors import NO_NVML, USAGE, AgentError

if TYPE_CHECKING:
    from suanli_agent.nvml import GpuReader

TOKEN_ENV = "SUANLI_PROVIDER_TOKEN"  # noqa: S105 (the variable's name, not a token)


class Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the option, exit 2 (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"error: {self.prog}: {message}\n")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


positive_int.__name__ = "whole number >= 1"  # argparse names the type in its message


def _common(parser: argparse.ArgumentParser, *, key: bool = True) -> None:
    parser.add_argument("--platform", required=True, help="The platform's URL")
    parser.add_argument("--cluster", required=True, type=positive_int, help="The cluster's id")
    parser.add_argument("--provider-token", default=os.environ.get(TOKEN_ENV),
                        help=f"Your API token (suanli tokens create); default ${TOKEN_ENV}")
    if key:
        parser.add_argument("--key", required=True, type=Path,
                            help="The cluster's private key (PEM, from keygen)")


def _backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--nvml-backend", default=None,
                        help="nvml (default) or fake:/path/inventory.json; default "
                             "$SUANLI_NVML_BACKEND")
    parser.add_argument("--hostname", default=None,
                        help="Node name to report (default: the machine's)")


def _collector(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--interval", type=positive_int, default=60,
                        help="Seconds between polls of the exporter (default 60)")
    parser.add_argument("--state", type=Path, default=None,
                        help="State file (default ./suanli-agent-collect-CLUSTER.json)")
    parser.add_argument("--polls", type=positive_int, default=None,
                        help="Stop after this many polls (default: run until stopped)")


def build_parser() -> Parser:
    parser = Parser(prog="suanli-agent", description="The Suanli provider agent: attest "
                    "this node's GPUs and report their usage to the platform.")
    parser.add_argument("--version", action="version", version=f"suanli-agent {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    keygen = commands.add_parser("keygen", help="Make the cluster's Ed25519 key pair")
    keygen.add_argument("--out", required=True, type=Path, help="Where to write the private key")
    keygen.add_argument("--force", action="store_true", help="Overwrite an existing file")
    register = commands.add_parser("register", help="Register the cluster's public key")
    _common(register)
    inventory = commands.add_parser("inventory", help="Print this node's GPUs as JSON")
    _backend(inventory)
    attest = commands.add_parser("attest", help="Sign this node's GPUs and post them")
    _common(attest)
    _backend(attest)
    collect = commands.add_parser("collect", help="Poll dcgm-exporter, post GPU-busy time")
    _common(collect, key=False)
    collect.add_argument("--exporter", required=True,
                         help="dcgm-exporter's URL, e.g. http://NODE:9400/metrics")
    _collector(collect)
    run = commands.add_parser("run", help="The service: attest on a schedule and collect")
    _common(run)
    _backend(run)
    run.add_argument("--exporter", default=None, help="dcgm-exporter's URL (no collection "
                                                      "without it)")
    run.add_argument("--attest-every", type=positive_int, default=3600,
                     help="Seconds between attestations (default 3600)")
    _collector(run)
    return parser


def say(line: str) -> None:
    print(line, flush=True)


def fail(message: str, code: int) -> NoReturn:
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(code)


def reader(backend: str | None) -> GpuReader:
    """The GPU reader the option (or $SUANLI_NVML_BACKEND) names; exit 2 for an unknown one."""
    from suanli_agent.nvml import reader_for

    try:
        return reader_for(backend)
    except ValueError as exc:
        fail(f"--nvml-backend: {exc}", USAGE)


def _token(args: argparse.Namespace) -> str:
    if not args.provider_token:
        fail(f"--provider-token: give your API token, or set ${TOKEN_ENV}", USAGE)
    return str(args.provider_token)


def keygen(args: argparse.Namespace) -> int:
    from suanli_agent.signing import new_key_pair

    out: Path = args.out
    if out.exists() and not args.force:
        fail(f"--out: {out} exists; pass --force to replace it", USAGE)
    private_pem, public = new_key_pair()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror}", USAGE)
    say(public)
    return 0


def register(args: argparse.Namespace) -> int:
    from suanli_agent.attest import register as register_key

    cluster = register_key(platform=args.platform, token=_token(args),
                           cluster_id=args.cluster, key_path=args.key)
    say(f"registered the public key of cluster {args.cluster} ({cluster.get('name')}); "
        f"it is {cluster.get('status')}")
    return 0


def inventory(args: argparse.Namespace) -> int:
    import json

    found = reader(args.nvml_backend).read()
    say(json.dumps({"hostname": found.hostname, "gpus": [g.as_dict() for g in found.gpus]},
                   indent=2))
    return 0


def attest(args: argparse.Namespace) -> int:
    from suanli_agent.attest import attest as attest_node

    posted = attest_node(platform=args.platform, token=_token(args), cluster_id=args.cluster,
                         key_path=args.key, reader=reader(args.nvml_backend),
                         hostname=args.hostname)
    body = posted.body
    say(f"attestation {body['id']} of node {body['hostname']} ({body['gpu_count']} GPUs): "
        f"{body['verdict']}; cluster {args.cluster} is {body['cluster_status']}")
    for problem in body.get("problems", []):
        say(f"  mismatch: {problem['text']}")
    for reason in body.get("reasons", []):
        say(f"  waiting: {reason['text']}")
    return 0 if posted.matched else 1


def collect(args: argparse.Namespace) -> int:
    from suanli_agent.service import collect_loop

    return collect_loop(args, _token(args))


def run(args: argparse.Namespace) -> int:
    from suanli_agent.service import run_loop

    return run_loop(args, _token(args))


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "keygen": keygen, "register": register, "inventory": inventory, "attest": attest,
    "collect": collect, "run": run,
}


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Parse, run one command, exit with its status (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        raise SystemExit(USAGE)
    try:
        code = COMMANDS[args.command](args)
    except AgentError as exc:
        fail(f"{exc.field}: {exc}", exc.exit_code)
    except (ValueError, RuntimeError) as exc:
        from suanli_agent.nvml import InventoryError, NvmlUnavailable

        if isinstance(exc, NvmlUnavailable):
            fail(str(exc), NO_NVML)
        if isinstance(exc, InventoryError):
            fail(f"--nvml-backend: {exc}", USAGE)
        raise
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    raise SystemExit(code)
