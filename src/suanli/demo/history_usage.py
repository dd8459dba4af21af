"""The demo's history after the market: yesterday's usage imported in the three formats,
the day settled, the claims decided on Fridays, vouchers expiring and clawed back."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.kit.timeutil import SHANGHAI, clock_at, utcnow
from suanli.market import placement
from suanli.market.models import Contract, ContractState
from suanli.metering import service as metering
from suanli.metering.importer import import_in
from suanli.metering.rows import Format
from suanli.programs import repository as program_repo
from suanli.settlement import claims, repository, service
from suanli.settlement.demo_usage import json_lines, prometheus_lines, sacct_lines
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers import service as vouchers
from suanli.vouchers.models import VoucherStatus

REPORTER = metering.Reporter(name="demo-history", org_ids=None)
# Days of the history on which a voucher is issued backdated so that it expires ten days
# later, and days on which an authority claws one back.
EXPIRING_ON = (5, 25, 55)
CLAWBACK_ON = (40, 75)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def ended_yesterday(session: Session, day: date) -> list[Contract]:
    """Contracts of yesterday (they ended at midnight), by id."""
    end = _midnight(day)
    stmt = (select(Contract).where(Contract.end_at == end,
                                   Contract.start_at >= end - timedelta(days=1),
                                   Contract.state != ContractState.CANCELLED)
            .order_by(Contract.id))
    return list(session.execute(stmt).unique().scalars())


def _files(session: Session, done: list[Contract], scrapes: bool
           ) -> dict[Format, list[str]]:
    files: dict[Format, list[str]] = {Format.SACCT: [], Format.JSON: [], Format.PROMETHEUS: []}
    for n, contract in enumerate(done):
        local = contract.start_at.astimezone(SHANGHAI)
        if scrapes and n == 0:
            uuids = [g.gpu_uuid for g in placement.place(session, contract)]
            files[Format.PROMETHEUS] += prometheus_lines(uuids, contract.start_at, 1)
        elif contract.id % 2:
            rows = sacct_lines(contract.id, local, 1, contract.gpus)
            files[Format.SACCT] += rows if not files[Format.SACCT] else rows[1:]
        else:
            files[Format.JSON] += json_lines(contract.id, local, 1, contract.gpus)
    return files


def import_yesterday(session: Session, *, day: date, scrapes: bool) -> None:
    """The providers' files of yesterday's contracts, imported through the real importer."""
    files = _files(session, ended_yesterday(session, day), scrapes)
    for fmt, lines in files.items():
        if lines:
            import_in(session, lines=lines, fmt=fmt, reporter=REPORTER,
                      filename=f"{day:%Y-%m-%d}.{fmt}")


def settle(session: Session, *, day: date, decide_claims: bool) -> None:
    """Settle the day; on Fridays decide the claims waiting: one in six rejected."""
    service.settle_period(session, period_end=day)
    if not decide_claims:
        return
    pending, _ = repository.claims(session, authority_ids=None, claimant_ids=None,
                                   status="submitted", limit=1000, offset=0)
    for claim in sorted(pending, key=lambda c: c.id):
        reject = claim.id % 6 == 0
        claims.decide(session, claim_id=claim.id, approve=not reject,
                      reason="The usage file lacks the GPU serial numbers; resend it."
                      if reject else None,
                      authority_ids={claim.authority_org_id}, user_id=None)


def vouchers_of_the_day(session: Session, *, index: int) -> None:
    """Sweep expired vouchers; on some days backdate one to expire soon or claw one back."""
    vouchers.expire_due(session)
    active = sorted(voucher_repo.vouchers(session, statuses=[VoucherStatus.ACTIVE]),
                    key=lambda v: v.id)
    if not active:
        return
    if index in EXPIRING_ON:
        model = active[index % len(active)]
        program = program_repo.get(session, model.program_id)
        if program is not None:
            with clock_at(utcnow() - timedelta(days=program.validity_days - 10)):
                vouchers.issue(session, program=program, holder_org_id=model.holder_org_id,
                               value_fen=program.voucher_min_fen, application_id=None,
                               user_id=None)
    if index in CLAWBACK_ON:
        target = active[-1]
        vouchers.clawback(session, voucher_id=target.id, user_id=None,
                          reason="The holder's registration was found to be in another city.")
