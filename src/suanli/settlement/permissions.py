"""Who may see invoices and statements, run settlement, and decide claims."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, PRO, define

# Invoices: buyers see their own; the platform and the regulator see all of them.
INVOICES_READ = define("settlement.invoices.read", {BUY, PA, AUD})
# Statements: providers see their own; the platform and the regulator see all of them.
STATEMENTS_READ = define("settlement.statements.read", {PRO, PA, AUD})
SETTLEMENT_READ_ALL = define("settlement.read_all", {PA, AUD})
# Settlement runs daily from the worker; the platform may run a day by hand.
SETTLEMENT_RUN = define("settlement.run", {PA})
# Claims: the claimant (provider or buyer) follows its own, the authority its programs',
# the platform and the regulator all of them; only the program's authority decides.
CLAIMS_READ = define("settlement.claims.read", {PRO, BUY, PGA, PA, AUD})
CLAIMS_DECIDE = define("settlement.claims.decide", {PGA})
# Model-service bills: the platform, or the subscription's provider, settles them.
TOKENS_SETTLE = define("settlement.tokens.settle", {PA, PRO})
