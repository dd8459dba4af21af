"""What a node signs and how: canonical JSON, the payload, Ed25519 keys.

The platform verifies with the same rules (``suanli.providers.attestation``); the bytes
signed are the payload as canonical JSON: keys sorted, no insignificant white space,
UTF-8. A test checks that both sides produce the same bytes.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PAYLOAD_VERSION = 1


class BadKey(ValueError):
    """A key file that cannot be used; the message says what was expected."""


def canonical_json(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def build_payload(*, cluster_id: int, hostname: str, gpus: Iterable[Mapping[str, Any]],
                  now: datetime, nonce: str | None = None) -> dict[str, Any]:
    """The inventory a node signs: cluster, node, time, a fresh nonce and its GPUs."""
    return {
        "version": PAYLOAD_VERSION,
        "cluster_id": cluster_id,
        "hostname": hostname,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "nonce": nonce or secrets.token_hex(16),
        "gpus": [
            {"index": int(g["index"]), "name": str(g["name"]), "uuid": str(g["uuid"]),
             "memory_total_mib": int(g["memory_total_mib"])}
            for g in gpus
        ],
    }


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public half as base64 of its 32 raw bytes (what the platform registers)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def new_key_pair() -> tuple[bytes, str]:
    """A fresh Ed25519 key pair: the private key as PEM, the public key as base64."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_key_text(key)


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (as ``suanli-agent keygen`` writes it)."""
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
