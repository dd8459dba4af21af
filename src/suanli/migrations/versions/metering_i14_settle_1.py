"""metering: settled usage as one mark per settlement, not a column rewritten on every record

Revision ID: metering_i14_settle_1
Revises: metering_i18_model_1

Each settlement's records become one `usage_settled` row: the contract's records up to the
largest id it billed that ended by its day's end (none for a settlement to the end or an
adjustment). `usage_records.settlement_id` and its index go; a (contract, id) index finds
the records after a mark.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

from suanli.kit.db import UTCDateTime

revision = "metering_i14_settle_1"
down_revision = "metering_i18_model_1"
branch_labels = None
depends_on = ("settlement_i13_money2_1",)

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MARKS = sa.table("usage_settled", sa.column("contract_id", sa.BigInteger),
                 sa.column("settlement_id", sa.BigInteger),
                 sa.column("through_record_id", sa.BigInteger),
                 sa.column("until", UTCDateTime), sa.column("created_at", UTCDateTime))


def _day_end(day: date) -> datetime:
    """The end of a settlement day (Asia/Shanghai, UTC+8 without summer time) in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC) - timedelta(hours=8)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    op.create_table(
        "usage_settled",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("contract_id", BIG_ID, nullable=False),
        sa.Column("settlement_id", sa.BigInteger(), nullable=False),
        sa.Column("through_record_id", sa.BigInteger(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["market_contracts.id"],
                                name=op.f("fk_usage_settled_contract_id_market_contracts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_settled")),
        sa.UniqueConstraint("settlement_id", name=op.f("uq_usage_settled_settlement_id")),
    )
    op.create_index(op.f("ix_usage_settled_contract_id"), "usage_settled", ["contract_id"])
    bind = op.get_bind()
    billed: dict[int, int] = {int(s): int(m) for s, m in bind.execute(sa.text(
        "SELECT settlement_id, max(id) FROM usage_records WHERE settlement_id IS NOT NULL "
        "GROUP BY settlement_id"))}
    rows, through = [], dict[int, int]()
    now = datetime.now(UTC)
    for sid, contract, period, final, kind in bind.execute(sa.text(
            "SELECT id, contract_id, period, final, kind FROM contract_settlements "
            "ORDER BY id")):
        # A settlement that billed no record still marks what its contract had settled.
        mark = through[contract] = max(through.get(contract, 0), billed.get(int(sid), 0))
        until = None if final or kind != "usage" else _day_end(_as_date(period))
        rows.append({"contract_id": contract, "settlement_id": sid, "through_record_id": mark,
                     "until": until, "created_at": now})
    if rows:
        op.bulk_insert(MARKS, rows)
    op.drop_index(op.f("ix_usage_records_settlement_id"), table_name="usage_records")
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("settlement_id")
    op.create_index("ix_usage_records_contract_id_id", "usage_records", ["contract_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_usage_records_contract_id_id", table_name="usage_records")
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("settlement_id", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_usage_records_settlement_id"), "usage_records", ["settlement_id"])
    bind = op.get_bind()
    marks = list(bind.execute(sa.select(MARKS.c.contract_id, MARKS.c.settlement_id,
                                        MARKS.c.through_record_id, MARKS.c.until)
                              .order_by(sa.text("id"))))
    records = sa.table("usage_records", sa.column("id", sa.BigInteger),
                       sa.column("contract_id", sa.BigInteger),
                       sa.column("ended_at", UTCDateTime),
                       sa.column("settlement_id", sa.BigInteger))
    for contract, sid, mark, until in marks:  # oldest first: a record's first mark bills it
        chosen = [records.c.contract_id == contract, records.c.settlement_id.is_(None),
                  records.c.id <= mark]
        if until is not None:
            chosen.append(records.c.ended_at <= until)
        bind.execute(sa.update(records).where(*chosen).values(settlement_id=sid))
    op.drop_index(op.f("ix_usage_settled_contract_id"), table_name="usage_settled")
    op.drop_table("usage_settled")
