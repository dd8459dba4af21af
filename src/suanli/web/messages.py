"""The validation messages pages show, in the shapes Pydantic and kit.money write them.

Each is (pattern, key): a page translates an error message of a known shape (the named
groups filling the message) and shows any other as it is. Pure data: no framework.
"""

from __future__ import annotations

import re

_SHAPE = re.escape('a decimal string such as "12.50" (digits, at most 2 decimals, no spaces, '
                   'signs, separators or exponent)')

VALIDATION: list[tuple[re.Pattern[str], str]] = [(re.compile(p), k) for p, k in [
    (r"Value error, (?P<message>.+)", "validation.value_error"),
    (r"Field required", "validation.required"),
    (r"Input should be a valid integer(?:, .*)?", "validation.integer"),
    (r"Input should be a valid number(?:, .*)?", "validation.number"),
    (r"Input should be a valid decimal(?:, .*)?", "validation.number"),
    (r"Input should be a finite number", "validation.number"),
    (r"Input should be a valid boolean(?:, .*)?", "validation.boolean"),
    (r"Input should be a valid string", "validation.string"),
    (r"Input should be a valid (?:date|datetime)(?:, .*)?", "validation.datetime"),
    (r"Input should be greater than or equal to (?P<limit>.+)", "validation.ge"),
    (r"Input should be greater than (?P<limit>.+)", "validation.gt"),
    (r"Input should be less than or equal to (?P<limit>.+)", "validation.le"),
    (r"Input should be less than (?P<limit>.+)", "validation.lt"),
    (r"String should have at least (?P<count>\d+) characters?", "validation.min_length"),
    (r"String should have at most (?P<count>\d+) characters?", "validation.max_length"),
    (r"String should match pattern .+", "validation.pattern"),
    (r"Input should be (?P<choices>'.+)", "validation.choice"),
    (r"Extra inputs are not permitted", "validation.extra"),
    (rf"must be {_SHAPE}, not a number", "validation.money.shape"),
    (rf"required: {_SHAPE}", "validation.money.shape"),
    (rf"(?P<raw>.+) is not {_SHAPE}", "validation.money.not_shape"),
    (r"at most (?P<count>\d+) characters", "validation.max_length"),
    (r"at most 2 decimal places", "validation.money.places"),
    (r"must not be negative", "validation.money.negative"),
    (r"too large \(at most (?P<limit>.+)\)", "validation.money.too_large"),
]]
