"""Transfer ids the platform's own services write, reserved for them.

Services give their transfers deterministic ids (``voucher-issue:<voucher id>``,
``contract:<id>:buyer-hold``, ...) so that a retry is harmless. A correcting transfer that
took such an id first would block that service's transfer forever (the id exists with other
fields) or pass for it, so operators' ids may not begin with any of these prefixes.
"""

from __future__ import annotations

from suanli.kit.errors import ValidationFailed

SYSTEM_PREFIXES = (
    "buyer-cash:", "buyer-credit:", "buyer-deposit:", "capacity-grant:", "claim:", "contract:",
    "credit:", "deposit:", "expire:", "model-sub:", "program:", "program-budget:",
    "program-credit:", "program-fund:",
    "program-funder:", "provider-payout:", "provider-receivable:", "treasury:", "voucher:",
    "voucher-clawback:", "voucher-expire:", "voucher-issue:", "voucher-return:",
    "voucher-tranche:",
)


def system_prefix(transfer_id: str) -> str | None:
    """The reserved prefix ``transfer_id`` begins with (in any letter case), or None."""
    folded = transfer_id.strip().casefold()
    return next((p for p in SYSTEM_PREFIXES if folded.startswith(p)), None)


def check_correcting_id(transfer_id: str) -> None:
    """422 naming ``id`` when an operator's transfer id is one the services reserve."""
    prefix = system_prefix(transfer_id)
    if prefix is not None:
        raise ValidationFailed(f"ids beginning with {prefix!r} are reserved for the platform's "
                               "own transfers; choose another id, such as "
                               "\"correction:2026-001\"", field="id", rule="reserved_id")
