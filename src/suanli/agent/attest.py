"""Building, signing and posting one node's attestation to the platform."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from suanli.agent.nvml import GpuReader, Inventory
from suanli.kit.timeutil import utcnow
from suanli.providers.attestation import BadKey, build_payload, load_private_key, sign

TIMEOUT_S = 30.0


class AgentError(RuntimeError):
    """Something the operator must fix; ``field`` names the option or the refused field."""

    def __init__(self, message: str, *, field: str, exit_code: int) -> None:
        super().__init__(message)
        self.field = field
        self.exit_code = exit_code


@dataclass(frozen=True)
class Posted:
    """The platform's answer to an accepted attestation."""

    body: dict[str, Any]

    @property
    def matched(self) -> bool:
        return self.body.get("verdict") == "match"


def read_key(path: Path) -> Any:
    try:
        return load_private_key(path.read_bytes())
    except OSError as exc:
        raise AgentError(f"cannot read {path}: {exc.strerror}", field="--key",
                         exit_code=2) from None
    except BadKey as exc:
        raise AgentError(f"{path} {exc}", field="--key", exit_code=2) from None


def signed_body(*, cluster_id: int, inventory: Inventory, key: Any, hostname: str | None,
                now: datetime | None = None) -> dict[str, Any]:
    """The request body: the payload and its signature."""
    node = hostname or inventory.hostname or socket.gethostname()
    payload = build_payload(cluster_id=cluster_id, hostname=node,
                            gpus=[g.as_dict() for g in inventory.gpus], now=now or utcnow())
    return {"payload": payload, "signature": sign(payload, key)}


def _refusal(response: httpx.Response) -> AgentError:
    try:
        problem = response.json()
        field, detail = problem.get("field") or "request", problem.get("detail") or response.text
    except ValueError:
        field, detail = "request", response.text[:200]
    return AgentError(f"the platform refused the attestation ({response.status_code}): "
                      f"{detail}", field=str(field), exit_code=3)


def post(*, platform: str, token: str, cluster_id: int, body: dict[str, Any],
         client: httpx.Client | None = None) -> Posted:
    """POST the signed body; the nonce doubles as the Idempotency-Key, so a retry is safe."""
    url = f"{platform.rstrip('/')}/api/v1/providers/clusters/{cluster_id}/attestations"
    headers = {"Authorization": f"Bearer {token}",
               "Idempotency-Key": f"attest-{body['payload']['nonce']}"}
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT_S) as own:
                response = own.post(url, json=body, headers=headers)
        else:
            response = client.post(url, json=body, headers=headers)
    except httpx.HTTPError as exc:
        raise AgentError(f"cannot reach the platform at {platform}: {exc}", field="--platform",
                         exit_code=3) from None
    if response.status_code != 201:
        raise _refusal(response)
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
