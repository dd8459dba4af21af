"""Who may see and change voucher programs."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, REV, define

# Read programs: authorities and their reviewers see their own (any status) and published
# ones; buyers see published ones; the platform and the regulator see all of them.
PROGRAMS_READ = define("programs.read", {PGA, REV, BUY, PA, AUD})
PROGRAMS_READ_ALL = define("programs.read_all", {PA, AUD})
# Create and edit programs, their rules and their budgets (own authority only).
PROGRAMS_MANAGE = define("programs.manage", {PGA})
# The budget dashboard: budget, issued, held, spent and returned, read from the ledger.
PROGRAMS_BUDGET = define("programs.budget", {PGA, PA, AUD})
# A startup's buyers apply to programs (the applications domain's routes ask for it; the
# program page asks too, to show its Apply button).
APPLICATIONS_APPLY = define("applications.apply", {BUY})
# Post-paid credit lines: program admins grant them (own programs, PROGRAMS_MANAGE); buyers
# read and pay their bills from cash; the platform records bank payments and reads all.
CREDIT_BILLS_READ = define("credit.bills.read", {BUY, PA, AUD})
CREDIT_BILLS_PAY = define("credit.bills.pay", {BUY, PA})
