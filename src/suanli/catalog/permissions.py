"""Who may read and change the accelerator catalogue and the network."""

from __future__ import annotations

from suanli.auth.roles import ALL_ROLES, PA, define

# Providers pick models for clusters and buyers compare them: everyone signed in reads.
CATALOG_READ = define("catalog.read", ALL_ROLES)
# Adding or correcting a model, or a measured latency, is the platform operator's job.
CATALOG_MANAGE = define("catalog.manage", {PA})
