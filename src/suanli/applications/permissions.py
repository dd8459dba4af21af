"""Who may apply, see applications, preview eligibility and decide."""

from __future__ import annotations

from suanli.auth.roles import AUD, BUY, PA, PGA, REV, define

# A startup's buyers keep its profile, upload evidence, apply and submit (defined with the
# programs, whose page shows the Apply button).
from suanli.programs.permissions import APPLICATIONS_APPLY as APPLICATIONS_APPLY

# See applications: startups their own, authorities those to their programs, the platform
# and the regulator all of them.
APPLICATIONS_READ = define("applications.read", {BUY, REV, PGA, PA, AUD})
APPLICATIONS_READ_ALL = define("applications.read_all", {PA, AUD})
# Decide applications the rules could not, set the voucher's value, issue held-up vouchers.
APPLICATIONS_REVIEW = define("applications.review", {REV})
# Evaluate a profile against a program's rules without applying (the live preview).
ELIGIBILITY_PREVIEW = define("eligibility.preview", {BUY, PGA, REV})
