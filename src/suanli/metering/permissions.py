"""Who may report and read usage."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PRO, define

# Providers report usage for their own organisations' contracts.
USAGE_REPORT = define("metering.usage.report", {PRO})
# A contract's usage: its provider and its buyer; the platform and the regulator all.
USAGE_READ = define("metering.usage.read", {PRO, BUY, PA, AUD})
USAGE_READ_ALL = define("metering.usage.read_all", {PA, AUD})

# Model services: providers offer registered models, buyers subscribe (with a model
# voucher); parties read their own subscriptions, the platform and the regulator all.
MODELS_OFFER = define("metering.models.offer", {PRO})
MODELS_SUBSCRIBE = define("metering.models.subscribe", {BUY})
MODELS_READ = define("metering.models.read", {PRO, BUY, PA, AUD})
