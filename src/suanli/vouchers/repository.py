"""SQL of the vouchers domain."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.vouchers.models import PairedVoucher, Voucher, VoucherReturn, VoucherStatus


def get(session: Session, voucher_id: int) -> Voucher | None:
    return session.get(Voucher, voucher_id)


def add(session: Session, row: Voucher | VoucherReturn | PairedVoucher) -> None:
    session.add(row)
    session.flush()


def by_application(session: Session, application_id: int) -> Voucher | None:
    stmt = select(Voucher).where(Voucher.application_id == application_id)
    return session.execute(stmt).scalar_one_or_none()


def vouchers(session: Session, *, holder_ids: Collection[int] | None = None,
             program_ids: Collection[int] | None = None,
             statuses: Collection[VoucherStatus] | None = None) -> list[Voucher]:
    """Vouchers filtered by holder and program (None: no filter), newest first."""
    stmt = select(Voucher).order_by(Voucher.id.desc())
    if holder_ids is not None:
        stmt = stmt.where(Voucher.holder_org_id.in_(list(holder_ids)))
    if program_ids is not None:
        stmt = stmt.where(Voucher.program_id.in_(list(program_ids)))
    if statuses:
        stmt = stmt.where(Voucher.status.in_([str(s) for s in statuses]))
    return list(session.execute(stmt).scalars())


def due(session: Session, now: datetime, *, limit: int) -> list[Voucher]:
    """Active vouchers past their validity, locked (others' locked rows are skipped)."""
    stmt = (select(Voucher).where(Voucher.status == VoucherStatus.ACTIVE,
                                  Voucher.valid_until <= now)
            .order_by(Voucher.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def residual(session: Session, *, limit: int) -> list[Voucher]:
    """Closed vouchers that still had money held by contracts when they closed."""
    stmt = (select(Voucher).where(Voucher.residual.is_(True),
                                  Voucher.status != VoucherStatus.ACTIVE)
            .order_by(Voucher.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def lock(session: Session, voucher_id: int) -> Voucher | None:
    stmt = select(Voucher).where(Voucher.id == voucher_id).with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def returns_of(session: Session, voucher_id: int) -> list[VoucherReturn]:
    stmt = select(VoucherReturn).where(VoucherReturn.voucher_id == voucher_id)
    return list(session.execute(stmt.order_by(VoucherReturn.id)).scalars())


def returned_totals(session: Session, voucher_ids: Collection[int]) -> dict[int, int]:
    if not voucher_ids:
        return {}
    stmt = (select(VoucherReturn.voucher_id, func.sum(VoucherReturn.amount_fen))
            .where(VoucherReturn.voucher_id.in_(list(voucher_ids)))
            .group_by(VoucherReturn.voucher_id))
    return {int(vid): int(total or 0) for vid, total in session.execute(stmt)}


def issued_between(session: Session, *, holder_org_id: int, program_id: int,
                   start: datetime, end: datetime) -> int:
    """Face value issued to a firm by a program in [start, end)."""
    stmt = select(func.coalesce(func.sum(Voucher.face_value_fen), 0)).where(
        Voucher.holder_org_id == holder_org_id, Voucher.program_id == program_id,
        Voucher.issued_at >= start, Voucher.issued_at < end)
    return int(session.execute(stmt).scalar_one())


def active_elsewhere(session: Session, *, holder_org_id: int, program_id: int,
                     now: datetime) -> list[Voucher]:
    """The firm's live vouchers from other programs."""
    stmt = select(Voucher).where(Voucher.holder_org_id == holder_org_id,
                                 Voucher.program_id != program_id,
                                 Voucher.status == VoucherStatus.ACTIVE,
                                 Voucher.valid_until > now)
    return list(session.execute(stmt.order_by(Voucher.id)).scalars())


def paired_of_providers(session: Session, provider_ids: Collection[int] | None
                        ) -> list[tuple[PairedVoucher, Voucher]]:
    """Provider halves of paired vouchers (of these providers; None: all), newest first."""
    stmt = (select(PairedVoucher, Voucher).join(Voucher, Voucher.id == PairedVoucher.voucher_id)
            .order_by(PairedVoucher.id.desc()))
    if provider_ids is not None:
        stmt = stmt.where(PairedVoucher.provider_org_id.in_(sorted(provider_ids)))
    return [(p, v) for p, v in session.execute(stmt).all()]


def paired_of(session: Session, voucher_id: int) -> PairedVoucher | None:
    return session.execute(select(PairedVoucher).where(
        PairedVoucher.voucher_id == voucher_id)).scalar_one_or_none()
