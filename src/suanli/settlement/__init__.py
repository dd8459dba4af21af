"""Settlement: charges, the voucher and buyer shares, invoices, reimbursement claims, payouts."""
