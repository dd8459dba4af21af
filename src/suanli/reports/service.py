"""Reports: per program for its authority, and across all cities for the regulator.

Money figures come from the ledger through the vouchers domain (the same totals the
programs' budget dashboard shows); delivery figures from usage and settlements
(`reports.repository`), added up by the pure `reports.figures`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.kit.errors import NotFound
from suanli.programs.models import Program
from suanli.reports import repository
from suanli.reports.figures import (
    DeliveryFigures,
    ProgramMoney,
    by_city,
    delivery_figures,
    totals,
)
from suanli.vouchers.totals import program_totals


@dataclass
class ProgramReport:
    program: Program
    money: ProgramMoney
    delivery: DeliveryFigures


@dataclass
class MarketReport:
    programs: list[ProgramMoney]
    cities: list[ProgramMoney]
    total: ProgramMoney
    delivery: DeliveryFigures


def money_of(session: Session, programs: list[Program]) -> list[ProgramMoney]:
    """Committed (the program's budget), issued, held, spent and returned, from the ledger."""
    found = program_totals(session, [p.id for p in programs])
    return [ProgramMoney(p.id, p.name, p.city, committed=p.budget_fen, issued=t.issued,
                         held=t.held, spent=t.spent, returned=t.returned, name_zh=p.name_zh)
            for p in programs for t in [found[p.id]]]


def program_reports(session: Session, authority_ids: Collection[int] | None,
                    program_id: int | None = None) -> list[ProgramReport]:
    """Reports of the programs the caller may see (one, when `program_id` is given)."""
    rows = repository.programs(session, authority_ids)
    if program_id is not None:
        rows = [p for p in rows if p.id == program_id]
        if not rows:
            raise NotFound(f"no program {program_id} of yours", field="program_id")
    deliveries = defaultdict(list)
    for row in repository.deliveries(session, [p.id for p in rows]):
        deliveries[row.program_id].append(row.delivery)
    return [ProgramReport(p, m, delivery_figures(deliveries[p.id]))
            for p, m in zip(rows, money_of(session, rows), strict=True)]


def market_report(session: Session) -> MarketReport:
    """Every program, every city, and all contracts, subsidised or not."""
    money = money_of(session, repository.programs(session, None))
    delivery = delivery_figures(r.delivery for r in repository.deliveries(session, None))
    return MarketReport(money, by_city(money), totals(money), delivery)


def combined_delivery(session: Session, program_ids: Collection[int]) -> DeliveryFigures:
    """Delivery under several programs' vouchers, added up (startups counted once)."""
    return delivery_figures(r.delivery for r in repository.deliveries(session, program_ids))
