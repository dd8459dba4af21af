"""Errors of the programs domain."""

from __future__ import annotations

from suanli.kit.errors import Conflict, InsufficientFunds


class BudgetExhausted(InsufficientFunds):
    """The program's budget cannot cover the amount (the ledger refused the debit)."""

    type_ = "budget-exhausted"
    title = "Program budget exhausted"


class ProgramNotOpen(Conflict):
    """The program is not published, or its application window is not open."""

    type_ = "program-not-open"
    title = "Program not open"
