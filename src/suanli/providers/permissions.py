"""Who may see and change data centres, clusters, attestations and compliance cases."""

from __future__ import annotations

from suanli.auth.roles import AUD, PA, PRO, define

# Providers see their own organisations' data centres and clusters; the platform and
# the regulator see all of them.
PROVIDERS_READ = define("providers.read", {PRO, PA, AUD})
PROVIDERS_READ_ALL = define("providers.read_all", {PA, AUD})
# Register data centres and clusters, upload provenance, register keys, post attestations.
PROVIDERS_MANAGE = define("providers.manage", {PRO})
# The compliance queue and cases: the regulator decides, the platform watches.
COMPLIANCE_READ = define("compliance.read", {AUD, PA})
COMPLIANCE_DECIDE = define("compliance.decide", {AUD})
