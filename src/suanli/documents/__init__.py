"""Uploaded files: evidence and provenance documents, stored by content hash."""
