"""Integrity checks: the audit chain's and the ledger's verifications, run and remembered."""
