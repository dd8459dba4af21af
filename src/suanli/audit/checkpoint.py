"""Signed checkpoints of the audit chain (pure): the head's sequence and hash, signed with
an Ed25519 key kept outside the database (the regulator's).

Plain verification only shows that the chain agrees with itself and with its head; someone
with write access to the database can rewrite a record and recompute every later hash and
the head, or cut the tail and move the head back, and the chain still agrees with itself.
A signed checkpoint pins (sequence, hash) at a moment: the rewritten chain no longer has
that hash at that sequence, the truncated one no longer has that sequence, and without the
private key nobody can sign a new checkpoint to match.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

VERSION = 1
_DOMAIN = b"suanli-audit-checkpoint-v1\n"  # a signature over anything else never verifies
PRIVATE_NAME = "audit-checkpoint.key"
PUBLIC_NAME = "audit-checkpoint.pub"


class CheckpointError(Exception):
    """A key or checkpoint file that cannot be used; the message names the file and why."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    key_id: str
    signature: str  # base64 of the Ed25519 signature over `message()`

    def message(self) -> bytes:
        return signed_message(self.seq, self.hash, self.at)

    def to_json(self) -> str:
        return json.dumps({"version": VERSION, "seq": self.seq, "hash": self.hash,
                           "at": self.at.isoformat(), "key_id": self.key_id,
                           "signature": self.signature}, sort_keys=True, indent=1) + "\n"

    @property
    def file_name(self) -> str:
        return f"checkpoint-{self.seq:012d}-{self.at.strftime('%Y%m%dT%H%M%S%fZ')}.json"


def signed_message(seq: int, hash_: str, at: datetime) -> bytes:
    body = json.dumps({"version": VERSION, "seq": seq, "hash": hash_, "at": at.isoformat()},
                      sort_keys=True, separators=(",", ":"))
    return _DOMAIN + body.encode()


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of SHA-256 over the raw public key: which key signed."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(private: Ed25519PrivateKey, *, seq: int, hash_: str, at: datetime) -> Checkpoint:
    signature = private.sign(signed_message(seq, hash_, at))
    return Checkpoint(seq=seq, hash=hash_, at=at, key_id=key_id(private.public_key()),
                      signature=base64.b64encode(signature).decode())


def signature_ok(checkpoint: Checkpoint, public: Ed25519PublicKey) -> bool:
    try:
        public.verify(base64.b64decode(checkpoint.signature, validate=True),
                      checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def parse(text: str, *, name: str) -> Checkpoint:
    """A checkpoint from its JSON; CheckpointError naming `name` when it is malformed."""
    try:
        data = json.loads(text)
        if data.get("version") != VERSION:
            raise ValueError(f"version {data.get('version')!r} is not {VERSION}")
        at = datetime.fromisoformat(str(data["at"]))
        seq, hash_ = data["seq"], data["hash"]
        if not isinstance(seq, int) or seq < 0 or not isinstance(hash_, str):
            raise ValueError("seq must be a whole number >= 0 and hash a string")
        return Checkpoint(seq=seq, hash=hash_, at=at, key_id=str(data["key_id"]),
                          signature=str(data["signature"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {name}: unreadable ({exc})") from exc


def load_dir(directory: Path) -> list[tuple[str, Checkpoint]]:
    """Every checkpoint-*.json in `directory`, oldest sequence first, with its file name."""
    if not directory.is_dir():
        raise CheckpointError(f"checkpoints: {directory} is not a directory")
    found = [(path.name, parse(path.read_text(encoding="utf-8"), name=path.name))
             for path in sorted(directory.glob("checkpoint-*.json"))]
    return sorted(found, key=lambda item: (item[1].seq, item[0]))


def write(directory: Path, checkpoint: Checkpoint) -> Path:
    """Write `checkpoint` into `directory` atomically (a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / checkpoint.file_name
    partial = path.with_suffix(".part")
    partial.write_text(checkpoint.to_json(), encoding="utf-8")
    os.replace(partial, path)
    return path


def generate_keys(directory: Path) -> tuple[Path, Path]:
    """A new key pair in `directory`: the private key readable by its owner only (0600).
    Existing keys are never overwritten."""
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise CheckpointError(f"{path} exists; not overwriting a key")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Created 0600 from the start: no moment at which another user could read it.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    public_path.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path


def load_private(path: Path) -> Ed25519PrivateKey:
    if not path.is_file():
        raise CheckpointError(f"key: {path} is not a file")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise CheckpointError(f"key: {path} is readable by others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"key: {path} is not a PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"key: {path} is not an Ed25519 key")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    if not path.is_file():
        raise CheckpointError(f"public key: {path} is not a file")
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"public key: {path} is not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"public key: {path} is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Finding:
    """What `compare` found: None problem when every checkpoint holds."""

    checked: int
    problem: str | None = None
    seq: int | None = None


def compare(found: list[tuple[str, Checkpoint]], public: Ed25519PublicKey,
            hash_at: Callable[[int], str | None]) -> Finding:
    """Check each checkpoint's signature, then that the chain still has its hash at its
    sequence (`hash_at(seq)`: the stored hash of that record, None when there is none)."""
    if not found:
        return Finding(0, "no checkpoints to verify against")
    wanted = key_id(public)
    for name, point in found:
        if not signature_ok(point, public):
            whose = "" if point.key_id == wanted else f" (signed by key {point.key_id}, " \
                f"not {wanted})"
            return Finding(0, f"checkpoint {name}: signature does not verify with the public "
                              f"key{whose}; the file was altered or signed by another key")
    for checked, (name, point) in enumerate(found):
        stored = hash_at(point.seq)
        if stored is None:
            return Finding(checked, f"checkpoint {name}: record {point.seq} is missing; the "
                                    "chain was cut below a signed head", point.seq)
        if stored != point.hash:
            return Finding(checked, f"checkpoint {name}: record {point.seq} has another hash "
                                    "than the signed head; the chain was rewritten", point.seq)
    return Finding(len(found))
