"""Response shapes of the reports API (money as decimal strings of CNY)."""

from __future__ import annotations

from pydantic import BaseModel

from suanli.kit.money import format_cny
from suanli.reports.figures import DeliveryFigures, ProgramMoney


class MoneyRead(BaseModel):
    program_id: int
    name: str
    city: str | None
    committed_cny: str
    issued_cny: str
    held_cny: str
    spent_cny: str
    returned_cny: str

    @classmethod
    def of(cls, m: ProgramMoney) -> MoneyRead:
        return cls(program_id=m.program_id, name=m.name, city=m.city,
                   committed_cny=format_cny(m.committed), issued_cny=format_cny(m.issued),
                   held_cny=format_cny(m.held), spent_cny=format_cny(m.spent),
                   returned_cny=format_cny(m.returned))


class DeliveryRead(BaseModel):
    gpu_hours: str
    gpu_hours_by_hub: dict[str, str]
    gpu_hours_by_operator: dict[str, str]
    gpu_hours_by_origin: dict[str, str]
    spend_cny: str
    spend_state_run_cny: str
    state_run_share: str
    energy_kwh: str
    energy_kwh_by_side: dict[str, str]
    startups_served: int

    @classmethod
    def of(cls, d: DeliveryFigures) -> DeliveryRead:
        return cls(gpu_hours=str(d.gpu_hours),
                   gpu_hours_by_hub={k: str(v) for k, v in d.by_hub.items()},
                   gpu_hours_by_operator={k: str(v) for k, v in d.by_operator.items()},
                   gpu_hours_by_origin={k: str(v) for k, v in d.by_origin.items()},
                   spend_cny=format_cny(d.spend_fen),
                   spend_state_run_cny=format_cny(d.spend_state_fen),
                   state_run_share=str(d.state_share), energy_kwh=str(d.energy_kwh),
                   energy_kwh_by_side={k: str(v) for k, v in d.energy_by_side.items()},
                   startups_served=d.startups_served)


class ProgramReportRead(BaseModel):
    money: MoneyRead
    delivery: DeliveryRead


class MarketReportRead(BaseModel):
    total: MoneyRead
    programs: list[MoneyRead]
    cities: list[MoneyRead]
    delivery: DeliveryRead
