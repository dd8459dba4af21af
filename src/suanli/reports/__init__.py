"""Reports for authorities and regulators: spend, delivery, energy; charts and exports."""
