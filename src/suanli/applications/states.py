"""The life of an application (pure).

    draft -> submitted -> auto_approved | needs_review | rejected
    needs_review -> approved | rejected
    auto_approved | approved -> voucher_issued

`submitted` lasts only while the rules are evaluated; an auto-approved application whose
program's budget could not cover it stays `auto_approved` until a reviewer issues it.
"""

from __future__ import annotations

from enum import StrEnum

from suanli.kit.errors import Conflict


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AUTO_APPROVED = "auto_approved"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"
    APPROVED = "approved"
    VOUCHER_ISSUED = "voucher_issued"


S = ApplicationStatus
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.AUTO_APPROVED, S.NEEDS_REVIEW, S.REJECTED}),
    S.AUTO_APPROVED: frozenset({S.VOUCHER_ISSUED}),
    S.NEEDS_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.VOUCHER_ISSUED}),
    S.REJECTED: frozenset(),
    S.VOUCHER_ISSUED: frozenset(),
}
# Open applications block another application by the same firm to the same program.
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.AUTO_APPROVED, S.NEEDS_REVIEW, S.APPROVED})
# Where evidence may still be added.
TAKES_EVIDENCE = frozenset({S.DRAFT, S.NEEDS_REVIEW})
# Approved (by the rules or a reviewer) but not yet paid.
AWAITING_VOUCHER = frozenset({S.AUTO_APPROVED, S.APPROVED})


class InvalidTransition(Conflict):
    type_ = "invalid-transition"
    title = "Not possible in this state"


def check(current: ApplicationStatus | str, target: ApplicationStatus) -> None:
    """Refuse a move the life of an application does not allow."""
    now = ApplicationStatus(current)
    if target not in TRANSITIONS[now]:
        raise InvalidTransition(f"an application that is {now} cannot become {target}",
                                field="status", current=str(now), target=str(target))
