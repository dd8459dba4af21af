"""Who may read an inbox, choose channels, manage webhooks and set alert thresholds."""

from __future__ import annotations

from suanli.auth.roles import ALL_ROLES, BUY, PGA, define

# Everyone has an inbox and chooses which events reach which channel.
NOTIFICATIONS_OWN = define("notifications.own", ALL_ROLES)
# Members of an organisation manage its webhooks and read their delivery log; the
# platform's admins read every delivery.
WEBHOOKS_MANAGE = define("notifications.webhooks.manage", ALL_ROLES)
# A voucher's holder sets the balance below which it is warned.
VOUCHER_ALERTS = define("notifications.alerts.voucher", {BUY})
# A bureau sets the budget below which it is warned, per program.
BUDGET_ALERTS = define("notifications.alerts.budget", {PGA})
