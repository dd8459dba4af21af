"""Refusals of applications: each names the rule that forbade it (`rule` in the problem)."""

from __future__ import annotations

from suanli.kit.errors import Conflict


class Refused(Conflict):
    """An application the program's rules forbid; `rule` says which."""

    type_ = "application-refused"
    title = "Application refused"
    rule = "refused"

    def __init__(self, detail: str, *, field: str | None = None, **extra: object) -> None:
        super().__init__(detail, field=field, rule=self.rule, **extra)


class DuplicateApplication(Refused):
    type_ = "duplicate-application"
    title = "Duplicate application"
    rule = "duplicate"


class OutsideWindow(Refused):
    type_ = "outside-window"
    title = "Outside the application window"
    rule = "window"


class YearlyCapExceeded(Refused):
    type_ = "yearly-cap-exceeded"
    title = "Yearly cap per firm exceeded"
    rule = "cap_per_firm"


class SecondSubsidyForbidden(Refused):
    type_ = "second-subsidy-forbidden"
    title = "Second subsidy forbidden"
    rule = "forbid_other_subsidies"
