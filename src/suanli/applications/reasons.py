"""The reasons an application's timeline stores, registered for pages to translate."""

from __future__ import annotations

import re

from suanli.web.render import REASONS

REASONS.extend([
    (re.compile(r"Every eligibility rule passes"), "applications.stored_reason.rules_pass"),
    (re.compile(r"The rules pass, but the value asked for is above the automatic default"),
     "applications.stored_reason.above_default"),
    (re.compile(r"The eligibility rules are not met: (?P<failing>.+)"),
     "applications.stored_reason.rules_fail"),
    (re.compile(r"voucher (?P<voucher>\d+) issued"), "applications.stored_reason.voucher_issued"),
])
