"""Who may upload and read documents; each document also checks its own readers."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PRO, REV, define

# Startups upload application evidence; providers upload provenance documents.
DOCUMENTS_UPLOAD = define("documents.upload", {BUY, PRO})
# Owners, the reviewers of the object's program and auditors; `service.can_read` decides
# for each document (everyone else gets 404).
DOCUMENTS_READ = define("documents.read", {BUY, PRO, REV, AUD})
