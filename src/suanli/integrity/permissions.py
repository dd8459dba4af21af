"""Permissions of the integrity domain."""

from __future__ import annotations

from suanli.auth.roles import AUD, PA, define

# See when the audit chain and the ledger were last verified, and verify them now.
INTEGRITY_CHECK = define("integrity.check", {PA, AUD})
