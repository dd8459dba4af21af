"""Applications for vouchers: startup profiles, evidence, the review workflow."""
