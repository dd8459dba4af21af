"""The classifier's English reasons (catalog.classify), registered for pages to translate."""

from __future__ import annotations

import re

from suanli.web.render import REASONS

_N = r"[\d,.]+"
REASONS.extend([
    (re.compile(rf"not designed or marketed for data centres and TPP (?P<tpp>{_N}) < 4,800"
                r"(?P<rest>.*)"), "catalog.eccn_reason.not_datacentre"),
    (re.compile(r"(?P<why>.+), so no clause applies(?P<rest>.*)"),
     "catalog.eccn_reason.no_clause"),
    (re.compile(rf"TPP (?P<tpp>{_N}) >= 1,600 and PD (?P<pd>{_N}) >= 5.92(?P<rest>.*)"),
     "catalog.eccn_reason.a2"),
    (re.compile(rf"TPP (?P<tpp>{_N}) < 2,400 and PD (?P<pd>{_N}) < 3.2"),
     "catalog.eccn_reason.low_pd"),
    (re.compile(rf"TPP (?P<tpp>{_N}) is between 1,600 and 4,800 and the die area is unknown; "
                rf"3A090.a if the die is at most about (?P<a>{_N}) mm², 3A090.b if at most "
                rf"about (?P<b>{_N}) mm², otherwise not 3A090"), "catalog.eccn_reason.die_unknown"),
    (re.compile(rf"TPP (?P<tpp>{_N}) is in \[2,400, 4,800\) and PD (?P<pd>{_N}) is in "
                r"\[1.6, 5.92\)(?P<rest>.*)"), "catalog.eccn_reason.b1"),
    (re.compile(rf"TPP (?P<tpp>{_N}) >= 1,600 and PD (?P<pd>{_N}) is in \[3.2, 5.92\)"
                r"(?P<rest>.*)"), "catalog.eccn_reason.b2"),
])
