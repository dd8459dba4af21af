"""Errors of the ledger; each names the offending field."""

from __future__ import annotations

from suanli.kit.errors import Conflict, InsufficientFunds


class ExceedsCredits(InsufficientFunds):
    """A debit would take an account flagged `debits_must_not_exceed_credits` below zero."""

    type_ = "exceeds-credits"
    title = "Debits would exceed credits"


class ExceedsDebits(InsufficientFunds):
    """A credit would break an account flagged `credits_must_not_exceed_debits`."""

    type_ = "exceeds-debits"
    title = "Credits would exceed debits"


class TransferExists(Conflict):
    """The transfer id is taken by a transfer with different fields."""

    type_ = "transfer-exists"
    title = "Transfer id already used"


class HoldAlreadyResolved(Conflict):
    """The hold was already posted, voided or expired; a hold resolves at most once."""

    type_ = "hold-already-resolved"
    title = "Hold already resolved"


class HoldExpired(Conflict):
    """The hold passed its expiry; it can no longer be posted or voided."""

    type_ = "hold-expired"
    title = "Hold expired"


class AccountExists(Conflict):
    """An account with this code exists with different fields."""

    type_ = "account-exists"
    title = "Account code already used"


class ConcurrentChange(Conflict):
    """The database refused a write that raced another; nothing was written, retry."""

    type_ = "ledger-concurrent-change"
    title = "Concurrent change"
