"""Who may apply for, see and decide capacity grants."""

from __future__ import annotations

from suanli.auth.roles import AUD, PA, PGA, PRO, REV, define

# Providers apply for their own clusters and see their own grants; the program's authority
# (admins and reviewers) sees its programs' grants; the platform and the regulator see all.
GRANTS_APPLY = define("grants.apply", {PRO})
GRANTS_READ = define("grants.read", {PRO, PGA, REV, PA, AUD})
# The program's reviewers approve or reject.
GRANTS_DECIDE = define("grants.decide", {REV})
# The listing sweep (pay or claw back), also run by `suanli grants sweep`.
GRANTS_SWEEP = define("grants.sweep", {PA})
