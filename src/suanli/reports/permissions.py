"""Who may read reports."""

from __future__ import annotations

from suanli.auth.roles import AUD, PA, PGA, define

# Program reports: an authority reads its own programs; the platform and regulator all.
REPORTS_PROGRAMS = define("reports.programs", {PGA, PA, AUD})
# The market across all cities: the regulator and the platform.
REPORTS_MARKET = define("reports.market", {PA, AUD})
