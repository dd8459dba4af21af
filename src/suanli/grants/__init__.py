"""Capacity grants: a program pays a provider a share of the purchase of domestic-chip
servers it lists on the platform, after evidence and a minimum listing period."""
