"""Who may list offers, place orders, run rounds and see contracts."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PRO, define

# Everyone who trades or oversees reads the live offers; buyers see effective prices.
OFFERS_READ = define("market.offers.read", {BUY, PRO, PA, AUD})
# Providers list and withdraw offers of their own organisations' clusters.
OFFERS_MANAGE = define("market.offers.manage", {PRO})
# A provider's own offers, withdrawn ones too; the platform and the regulator see all.
OFFERS_OWN_READ = define("market.offers.own_read", {PRO, PA, AUD})
# Buyers place, preview and cancel orders and take offers at once for their startups.
ORDERS_PLACE = define("market.orders.place", {BUY})
# Buyers read their own orders; the platform and the regulator read all of them.
ORDERS_READ = define("market.orders.read", {BUY, PA, AUD})
# Contracts: buyers see theirs, providers theirs, the platform and the regulator all.
CONTRACTS_READ = define("market.contracts.read", {BUY, PRO, PA, AUD})
CONTRACTS_CANCEL = define("market.contracts.cancel", {BUY, PA})
# The platform admin cancels for the parties only through the audited "cancel on behalf".
CONTRACTS_CANCEL_ON_BEHALF = define("market.contracts.cancel_on_behalf", {PA})
# Providers place their contracts on GPUs (which hardware serves which contract).
CONTRACTS_PLACE = define("market.contracts.place", {PRO})
# Clearing rounds: the platform runs them; the regulator reads and re-runs them.
ROUNDS_RUN = define("market.rounds.run", {PA})
ROUNDS_READ = define("market.rounds.read", {PA, AUD})
# Buyer cash: the platform records bank deposits; buyers see their own balance.
DEPOSITS_RECORD = define("market.deposits.record", {PA})
CASH_READ = define("market.cash.read", {BUY, PA, AUD})
