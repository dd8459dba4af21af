"""Permissions of the ledger domain."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, PRO, REV, define

# Every account and transfer, the verification and the ledger page.
LEDGER_READ_ALL = define("ledger.read_all", {PA, AUD})
# Accounts owned by the caller's organisations (everyone who holds money or budgets).
LEDGER_READ_OWN = define("ledger.read_own", {PGA, BUY, PRO, REV, PA, AUD})
# Correcting transfers between accounts: the platform operator only, always audited.
LEDGER_CORRECT = define("ledger.correct", {PA})
