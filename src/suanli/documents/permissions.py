"""Who may upload and read documents; each document also checks its own readers."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, PRO, REV, define

# Startups upload application evidence; providers upload provenance documents.
DOCUMENTS_UPLOAD = define("documents.upload", {BUY, PRO})
# Owners, the reviewers and program admins of the object's program, the platform admin
# (provenance of the clusters it screens) and auditors; `service.can_read` decides for
# each document (everyone else gets 404).
DOCUMENTS_READ = define("documents.read", {BUY, PRO, REV, PGA, PA, AUD})
