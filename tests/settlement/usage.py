"""Reporting usage in tests through the real importer."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.orm import Session

from suanli.metering.importer import Format, ImportReport, import_in
from suanli.metering.service import Reporter
from tests.settlement.world import World

ANY = Reporter(name="test", org_ids=None)


def use(db: Session, world: World, *spans: tuple[float, float, int], ref: str = "u"
        ) -> ImportReport:
    """Usage of (start hour, end hour, GPUs) after the contract's start, as JSON lines."""
    lines = []
    for n, (a, b, gpus) in enumerate(spans):
        start = world.start + timedelta(hours=a)
        end = world.start + timedelta(hours=b)
        lines.append(json.dumps({"contract_id": world.contract.id, "ref": f"{ref}-{n}",
                                 "start": start.isoformat(), "end": end.isoformat(),
                                 "gpus": gpus}))
    report = import_in(db, lines=lines, fmt=Format.JSON, reporter=ANY)
    assert not report.rejected, report.rejected
    return report
