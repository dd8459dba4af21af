"""A startup's profile as the eligibility rules read it (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

DAYS_PER_YEAR = Decimal("365.25")
PROFILE_FIELDS = ("registered_city", "annual_revenue_fen", "research_project_member",
                  "research_project_number", "headcount", "founded_on", "model_filings",
                  "credit_record", "other_subsidies", "affiliates", "organisation_type",
                  "project_lead")


def company_age_years(founded_on: date, as_of: date) -> Decimal:
    """Whole and hundredths of years since founding (0 for a date in the future)."""
    days = max((as_of - founded_on).days, 0)
    return (Decimal(days) / DAYS_PER_YEAR).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def facts(profile: Mapping[str, Any], *, as_of: date) -> dict[str, object]:
    """Rule field -> value for a profile given as a mapping of its columns (None: unknown)."""
    founded = profile.get("founded_on")
    if isinstance(founded, str):
        founded = date.fromisoformat(founded)
    return {
        "registered_city": profile.get("registered_city"),
        "annual_revenue": profile.get("annual_revenue_fen"),
        "research_project_member": profile.get("research_project_member"),
        "research_project_number": profile.get("research_project_number"),
        "headcount": profile.get("headcount"),
        "company_age_years": None if founded is None else company_age_years(founded, as_of),
        "model_filings": profile.get("model_filings"),
        "credit_record": None if profile.get("credit_record") is None
        else str(profile["credit_record"]),
        "other_subsidies": profile.get("other_subsidies"),
        "organisation_type": profile.get("organisation_type"),
        "project_lead": profile.get("project_lead"),
    }


def as_json(profile: Mapping[str, Any]) -> dict[str, Any]:
    """A profile's columns as JSON (dates as ISO strings), kept with a submitted application."""
    out: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = profile.get(name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    if out.get("credit_record") is not None:
        out["credit_record"] = str(out["credit_record"])
    return out
