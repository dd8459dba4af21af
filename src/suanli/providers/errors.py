"""Errors of the providers domain."""

from __future__ import annotations

from suanli.kit.errors import AppError


class BadSignature(AppError):
    """An attestation whose signature does not verify with the cluster's registered key."""

    status = 422
    type_ = "bad-signature"
    title = "Signature does not verify"


class Replayed(AppError):
    """An attestation whose nonce was already accepted for this cluster."""

    status = 409
    type_ = "replayed"
    title = "Attestation replayed"
