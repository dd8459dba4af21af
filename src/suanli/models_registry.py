"""Imports every domain's models so that Base.metadata knows all tables.

A session needs them all: a flush sorts tables by their foreign keys, and a ledger account
points at an organisation even where nothing else of auth was imported. Each domain adds
its models module here when it gains tables.
"""

from __future__ import annotations

import importlib

MODELS = (
    "suanli.auth.models",
    "suanli.audit.models",
    "suanli.kit.idempotency",
    "suanli.outbox.models",
    "suanli.catalog.models",
    "suanli.ledger.models",
    "suanli.integrity.models",
    "suanli.documents.models",
    "suanli.programs.models",
    "suanli.programs.credit_models",
    "suanli.applications.models",
    "suanli.vouchers.models",
    "suanli.providers.models",
    "suanli.market.models",
    "suanli.metering.models",
    "suanli.metering.model_models",
    "suanli.settlement.models",
    "suanli.notifications.models",
)


def load_all_models() -> None:
    """Import every models module (cheap after the first call)."""
    for name in MODELS:
        importlib.import_module(name)
