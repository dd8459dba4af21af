"""Who sees which dashboard on the home page."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, PRO, REV, define

# The authority's program figures: its program admins and reviewers.
DASHBOARD_AUTHORITY = define("dashboards.authority", {PGA, REV})
# The market at a glance: the platform's operators.
DASHBOARD_MARKET = define("dashboards.market", {PA})
# Compliance: cases, listings on hold, and whether the audit chain and ledger verify.
DASHBOARD_COMPLIANCE = define("dashboards.compliance", {AUD})
# A startup's own money, orders and contracts; a provider's clusters, revenue and claims.
DASHBOARD_BUYER = define("dashboards.buyer", {BUY})
DASHBOARD_PROVIDER = define("dashboards.provider", {PRO})
