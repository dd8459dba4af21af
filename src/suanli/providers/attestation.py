"""Signed GPU inventories: canonical form, Ed25519 keys, and claim-versus-report (pure).

One attestation covers one node: the agent on each machine reads its own GPUs through
NVML and posts them. A cluster's attested GPUs are the union over its nodes' latest
matching attestations, so a cluster of 8 nodes x 8 GPUs is fully attested once 8
distinct nodes have each reported 8 GPUs of the claimed model. A node reporting a
different number of GPUs than the claim per node ("claims 64 GPUs (8 x 8 per node),
node n1 reports 6 (at most 48 in all)"), a part of another model, a ninth node, or a
GPU already attested for another cluster is a mismatch.

The signed bytes are the payload in canonical JSON: keys sorted, no insignificant
whitespace, UTF-8. The payload holds only strings, integers, lists and objects, so
any JSON parser gives back the same canonical bytes.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from suanli.catalog.reported_names import model_for
from suanli.providers.screening import Reason

PAYLOAD_VERSION = 1
# An attestation older or newer than this is refused: clocks drift, replays wait.
WINDOW = timedelta(minutes=5)


class BadKey(ValueError):
    """A key that cannot be read; the message says what was expected."""


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed and verified."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def new_nonce() -> str:
    return secrets.token_hex(16)


def build_payload(*, cluster_id: int, hostname: str, gpus: Iterable[Mapping[str, Any]],
                  now: datetime, nonce: str | None = None) -> dict[str, Any]:
    """The inventory a node signs: cluster, node, time, a fresh nonce and its GPUs."""
    return {
        "version": PAYLOAD_VERSION,
        "cluster_id": cluster_id,
        "hostname": hostname,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "nonce": nonce or new_nonce(),
        "gpus": [
            {"index": int(g["index"]), "name": str(g["name"]), "uuid": str(g["uuid"]),
             "memory_total_mib": int(g["memory_total_mib"])}
            for g in gpus
        ],
    }


def new_key_pair() -> tuple[bytes, str]:
    """A fresh Ed25519 key pair: the private key as PEM, the public key as base64."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_key_text(key.public_key())


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> str:
    """A public key given as PEM or as base64 of its 32 raw bytes, normalised to base64."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("ascii"))
            if not isinstance(key, Ed25519PublicKey):
                raise BadKey("is not an Ed25519 public key")
            return public_key_text(key)
        raw = base64.b64decode(text, validate=True)
        return public_key_text(Ed25519PublicKey.from_public_bytes(raw))
    except (ValueError, binascii.Error, UnicodeEncodeError) as exc:
        if isinstance(exc, BadKey):
            raise
        raise BadKey("must be an Ed25519 public key: PEM, or base64 of 32 bytes") from None


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (as `suanli-agent keygen` writes it)."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BadKey("is not a PEM private key without a passphrase") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadKey("is not an Ed25519 private key")
    return key


def sign(payload: Mapping[str, Any], key: Ed25519PrivateKey) -> str:
    """The base64 signature of the payload's canonical bytes."""
    return base64.b64encode(key.sign(canonical_json(payload))).decode("ascii")


def verify(payload: Mapping[str, Any], signature: str, public_key_b64: str) -> bool:
    """Whether the signature is the registered key's over the payload's canonical bytes."""
    try:
        raw = base64.b64decode(signature, validate=True)
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(raw, canonical_json(payload))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def within_window(reported_at: datetime, now: datetime) -> bool:
    return abs(now - reported_at) <= WINDOW


@dataclass(frozen=True)
class ReportedGpu:
    index: int
    name: str
    uuid: str
    memory_total_mib: int


@dataclass(frozen=True)
class Claim:
    """What the provider registered, and which nodes already attested."""

    model: str
    nodes: int
    gpus_per_node: int
    attested_hosts: frozenset[str] = frozenset()


def _model_problems(claim: Claim, gpus: tuple[ReportedGpu, ...], names: Mapping[str, str]
                    ) -> list[Reason]:
    problems = []
    unknown = sorted({g.name for g in gpus if model_for(g.name, names) is None})
    problems += [Reason("mismatch_unknown", {"claims": claim.model, "name": n}) for n in unknown]
    models = sorted({m for g in gpus if (m := model_for(g.name, names)) is not None})
    others = [m for m in models if m != claim.model]
    if others:
        problems.append(Reason("mismatch_model", {"claims": claim.model,
                                                  "reports": ", ".join(others)}))
    return problems


def _count_problems(claim: Claim, hostname: str, count: int) -> list[Reason]:
    problems = []
    if count != claim.gpus_per_node:
        problems.append(Reason("mismatch_count", {
            "claims": claim.nodes * claim.gpus_per_node, "nodes": claim.nodes,
            "per_node": claim.gpus_per_node, "node": hostname, "reports": count,
            "at_most": claim.nodes * count}))
    if hostname not in claim.attested_hosts and len(claim.attested_hosts) >= claim.nodes:
        problems.append(Reason("mismatch_nodes", {
            "claims": claim.nodes, "node": hostname, "count": len(claim.attested_hosts) + 1}))
    return problems


def compare(claim: Claim, hostname: str, gpus: tuple[ReportedGpu, ...],
            elsewhere: Mapping[str, int], names: Mapping[str, str]) -> tuple[Reason, ...]:
    """Every way one node's report contradicts the claim; empty when it matches.

    ``elsewhere`` maps reported GPU UUIDs already attested for other clusters to them;
    ``names`` is the catalogue's reported names (name key -> model id).
    """
    problems = (_model_problems(claim, gpus, names)
                + _count_problems(claim, hostname, len(gpus)))
    for gpu in gpus:
        if gpu.uuid in elsewhere:
            problems.append(Reason("mismatch_shared_gpu",
                                   {"uuid": gpu.uuid, "cluster": elsewhere[gpu.uuid]}))
    return tuple(problems)
