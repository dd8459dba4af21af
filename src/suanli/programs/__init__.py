"""Voucher programs: budgets, subsidy rates, eligibility rules and city presets."""
