"""Who may see vouchers, claw them back and run expiry."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, PRO, REV, define

# Startups see their own vouchers; authorities those of their programs; the platform and
# the regulator all of them.
VOUCHERS_READ = define("vouchers.read", {BUY, PGA, REV, PA, AUD})
VOUCHERS_READ_ALL = define("vouchers.read_all", {PA, AUD})
# Withdraw a voucher for fraud (the authority that issued it); audited with the reason.
VOUCHERS_CLAWBACK = define("vouchers.clawback", {PGA})
# Confirm a tranche's milestone, releasing its money (the issuing authority's reviewers and
# administrators).
VOUCHERS_RELEASE = define("vouchers.release_tranche", {REV, PGA})
# Run the expiry sweep (also `suanli vouchers expire`).
VOUCHERS_EXPIRE = define("vouchers.expire", {PA})
# The provider halves of paired vouchers (Langfang): the provider sees its own; the
# platform and the regulator all.
VOUCHERS_PAIRED_READ = define("vouchers.paired.read", {PRO, PA, AUD})
