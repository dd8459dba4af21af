"""``suanli agent``: run on a GPU node to attest its hardware to the platform.

``suanli agent keygen --out cluster.key`` makes the cluster's Ed25519 key pair: the
private key stays on the nodes (mode 0600), the printed public key is registered with
the cluster on the platform. ``suanli agent attest`` reads the node's GPUs (NVML, or
the backend named by --nvml-backend / $SUANLI_NVML_BACKEND), signs them and posts them.

Exit status of ``attest``: 0 the inventory matched the cluster's claim; 1 it was
recorded as a mismatch (the cluster is suspended); 2 bad input (options, key file,
inventory file); 3 the platform refused it or could not be reached; 4 no NVML here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from suanli.agent.attest import AgentError, attest
from suanli.agent.nvml import GpuReader, InventoryError, NvmlUnavailable, reader_for
from suanli.providers.attestation import new_key_pair

agent_app = typer.Typer(help="The provider agent: attest this node's GPUs.",
                        no_args_is_help=True)

Backend = Annotated[str | None, typer.Option(
    "--nvml-backend", help="nvml (default) or fake:/path/inventory.json; "
                           "default from $SUANLI_NVML_BACKEND")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _reader(backend: str | None) -> GpuReader:
    try:
        return reader_for(backend)
    except ValueError as exc:
        raise _fail(f"--nvml-backend: {exc}", 2) from None


@agent_app.command("attest")
def attest_command(
    provider_token: Annotated[str, typer.Option(
        "--provider-token", envvar="SUANLI_PROVIDER_TOKEN",
        help="Your API token (suanli tokens create); or $SUANLI_PROVIDER_TOKEN")],
    cluster: Annotated[int, typer.Option("--cluster", min=1, help="The cluster's id")],
    key: Annotated[Path, typer.Option("--key", help="The cluster's private key (PEM)")],
    platform: Annotated[str, typer.Option("--platform", help="Platform URL")],
    nvml_backend: Backend = None,
    hostname: Annotated[str | None, typer.Option(
        "--hostname", help="Node name to report (default: the machine's)")] = None,
) -> None:
    """Read this node's GPUs, sign the inventory with the cluster's key, post it."""
    reader = _reader(nvml_backend)
    try:
        posted = attest(platform=platform, token=provider_token, cluster_id=cluster,
                        key_path=key, reader=reader, hostname=hostname)
    except NvmlUnavailable as exc:
        raise _fail(str(exc), 4) from None
    except InventoryError as exc:
        raise _fail(f"--nvml-backend: {exc}", 2) from None
    except AgentError as exc:
        raise _fail(f"{exc.field}: {exc}", exc.exit_code) from None
    body = posted.body
    typer.echo(f"attestation {body['id']} of node {body['hostname']} ({body['gpu_count']} "
               f"GPUs): {body['verdict']}; cluster {cluster} is {body['cluster_status']}")
    for problem in body.get("problems", []):
        typer.echo(f"  mismatch: {problem['text']}")
    for reason in body.get("reasons", []):
        typer.echo(f"  waiting: {reason['text']}")
    if not posted.matched:
        raise typer.Exit(1)


@agent_app.command("inventory")
def inventory_command(nvml_backend: Backend = None) -> None:
    """Print the GPUs this node reports, as JSON (nothing is sent)."""
    try:
        found = _reader(nvml_backend).read()
    except NvmlUnavailable as exc:
        raise _fail(str(exc), 4) from None
    except InventoryError as exc:
        raise _fail(f"--nvml-backend: {exc}", 2) from None
    typer.echo(json.dumps({"hostname": found.hostname,
                           "gpus": [g.as_dict() for g in found.gpus]}, indent=2))


@agent_app.command("keygen")
def keygen_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the private key")],
    force: Annotated[bool, typer.Option(help="Overwrite an existing file")] = False,
) -> None:
    """Make a cluster key pair: write the private key, print the public key to register."""
    if out.exists() and not force:
        raise _fail(f"--out: {out} exists; pass --force to replace it", 2)
    private_pem, public = new_key_pair()
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
    except OSError as exc:
        raise _fail(f"--out: cannot write {out}: {exc.strerror}", 2) from None
    typer.echo(public)
