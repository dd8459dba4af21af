"""Building, signing and posting one node's attestation; registering the cluster's key."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suanli_agent.errors import USAGE, AgentError
from suanli_agent.nvml import GpuReader, Inventory
from suanli_agent.signing import BadKey, build_payload, load_private_key, public_key_text, sign

if TYPE_CHECKING:  # httpx is imported only when a request is sent: --help stays fast
    import httpx


@dataclass(frozen=True)
class Posted:
    """The platform's answer to an accepted attestation."""

    body: dict[str, Any]

    @property
    def matched(self) -> bool:
        return self.body.get("verdict") == "match"


def read_key(path: Path) -> Any:
    """The cluster's private key from its PEM file; AgentError naming --key otherwise."""
    try:
        return load_private_key(path.read_bytes())
    except OSError as exc:
        raise AgentError(f"cannot read {path}: {exc.strerror}", field="--key",
                         exit_code=USAGE) from None
    except BadKey as exc:
        raise AgentError(f"{path} {exc}", field="--key", exit_code=USAGE) from None


def signed_body(*, cluster_id: int, inventory: Inventory, key: Any, hostname: str | None,
                now: datetime | None = None) -> dict[str, Any]:
    """The request body: the payload and its signature."""
    node = hostname or inventory.hostname or socket.gethostname()
    payload = build_payload(cluster_id=cluster_id, hostname=node,
                            gpus=[g.as_dict() for g in inventory.gpus],
                            now=now or datetime.now(UTC))
    return {"payload": payload, "signature": sign(payload, key)}


def post(*, platform: str, token: str, cluster_id: int, body: dict[str, Any],
         client: httpx.Client | None = None) -> Posted:
    """POST the signed body; the nonce doubles as the Idempotency-Key, so a retry is safe."""
    from suanli_agent.platform import refusal, send

    response = send("POST", platform, f"/providers/clusters/{cluster_id}/attestations",
                    token=token, body=body, client=client,
                    idempotency_key=f"attest-{body['payload']['nonce']}")
    if response.status_code != 201:
        raise refusal(response, "the attestation")
    return Posted(response.json())


def attest(*, platform: str, token: str, cluster_id: int, key_path: Path, reader: GpuReader,
           hostname: str | None = None) -> Posted:
    """Read this machine's GPUs, sign them with the cluster's key and post them.

    Raises AgentError (bad key file, refusal, unreachable platform), NvmlUnavailable,
    or InventoryError (a fake inventory that cannot be read).
    """
    key = read_key(key_path)
    inventory = reader.read()
    body = signed_body(cluster_id=cluster_id, inventory=inventory, key=key, hostname=hostname)
    return post(platform=platform, token=token, cluster_id=cluster_id, body=body)


def register(*, platform: str, token: str, cluster_id: int, key_path: Path) -> dict[str, Any]:
    """Register (or rotate) the cluster's public key, derived from its private key file;
    the platform's view of the cluster afterwards."""
    from suanli_agent.platform import refusal, send

    public = public_key_text(read_key(key_path))
    response = send("PUT", platform, f"/providers/clusters/{cluster_id}/attestation-key",
                    token=token, body={"attestation_key": public},
                    idempotency_key=f"key-{uuid.uuid4().hex}")
    if response.status_code != 200:
        raise refusal(response, "the key")
    return dict(response.json())
