"""Data centres, clusters, hardware attestation and compliance holds on listings."""
