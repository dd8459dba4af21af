"""Vouchers: issuance through the ledger, balances, expiry and clawback."""
