"""Shapes of the integrity API: times in UTC (ISO 8601)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from suanli.integrity.service import Latest


class CheckRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str = Field(description='"audit_chain", "ledger" or "capacity"')
    ok: bool
    counts: dict[str, int] = Field(description="what was read: records; or accounts, "
                                               "transfers and entries; or clusters, offers "
                                               "and contracts")
    problem: str | None = Field(description="the first discrepancy found, when not ok")
    started_at: datetime
    finished_at: datetime
    requested_by: str


class LatestRead(BaseModel):
    audit_chain: CheckRead | None = Field(description="null: never checked")
    ledger: CheckRead | None = Field(description="null: never checked")
    capacity: CheckRead | None = Field(default=None, description="no cluster listed or sold "
                                       "beyond its GPUs in any hour; null: never checked")
    stale: bool = Field(description="a subject never checked, or last checked over a day ago")

    @classmethod
    def of(cls, latest: Latest) -> LatestRead:
        def read(check: object) -> CheckRead | None:
            return None if check is None else CheckRead.model_validate(check)

        return cls(audit_chain=read(latest.audit), ledger=read(latest.ledger),
                   capacity=read(latest.capacity),
                   stale=latest.stale(latest.audit) or latest.stale(latest.ledger))
