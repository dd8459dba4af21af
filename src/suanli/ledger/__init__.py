"""The double-entry ledger: accounts, transfers, holds, balances and their invariants."""
