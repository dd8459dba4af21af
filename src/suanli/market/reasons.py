"""The reasons the market stores on orders and offers, registered for pages to translate."""

from __future__ import annotations

import re

from suanli.web.render import REASONS

REASONS.extend([
    (re.compile(r"matched in round (?P<round>\d+)"), "market.stored_reason.matched"),
    (re.compile(r"not matched in round (?P<round>\d+): (?P<why>.+)"),
     "market.stored_reason.not_matched"),
    (re.compile(r"round (?P<round>\d+): the offer no longer had the capacity"),
     "market.stored_reason.no_capacity"),
    (re.compile(r"round (?P<round>\d+): not written: (?P<why>.+)"),
     "market.stored_reason.not_written"),
    (re.compile(r"its window closed before it was matched"), "market.stored_reason.window_closed"),
])
