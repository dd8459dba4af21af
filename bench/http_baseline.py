"""The same-stack baseline of bench/http.py: FastAPI + uvicorn + SQLAlchemy Core, sync
handlers (anyio's worker threads, as Suanli's). POST /transfers inserts a transfer and
updates two balances in one transaction; GET /me reads a token and its user. SQLite runs
with the platform's pragmas (WAL, synchronous=FULL, busy timeout) and BEGIN IMMEDIATE.

    BASELINE_DB=sqlite:///x.db uvicorn bench.http_baseline:create_app --factory
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    select,
    update,
)

metadata = MetaData()
accounts = Table("accounts", metadata, Column("code", String(100), primary_key=True),
                 Column("balance", BigInteger, nullable=False))
transfers = Table("transfers", metadata, Column("id", String(200), primary_key=True),
                  Column("debit", String(100), nullable=False),
                  Column("credit", String(100), nullable=False),
                  Column("amount", BigInteger, nullable=False),
                  Column("reason", String(200), nullable=False))
users = Table("users", metadata, Column("id", BigInteger, primary_key=True),
              Column("username", String(100), nullable=False))
tokens = Table("tokens", metadata, Column("hash", String(64), primary_key=True),
               Column("user_id", BigInteger, nullable=False))
TOKEN = "baseline-token"


class Transfer(BaseModel):
    id: str
    debit: str
    credit: str
    amount: str
    reason: str


def engine_for(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=32, max_overflow=8)
    engine = create_engine(url, pool_size=32, max_overflow=8,
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        read = conn.get_execution_options().get("read", False)
        conn.connection.driver_connection.execute("BEGIN" if read else "BEGIN IMMEDIATE")

    return engine


def seed(engine: Engine) -> None:
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(accounts), [{"code": "treasury", "balance": 0},
                                        {"code": "sink", "balance": 0}])
        conn.execute(insert(users), [{"id": 1, "username": "bench"}])
        conn.execute(insert(tokens), [{"hash": hashlib.sha256(TOKEN.encode()).hexdigest(),
                                       "user_id": 1}])


def create_app() -> FastAPI:
    engine = engine_for(os.environ["BASELINE_DB"])
    seed(engine)
    app = FastAPI()

    @app.post("/transfers", status_code=201)
    def transfer(body: Transfer) -> dict[str, Any]:
        amount = int(body.amount.replace(".", ""))
        with engine.begin() as conn:
            conn.execute(insert(transfers).values(id=body.id, debit=body.debit,
                                                  credit=body.credit, amount=amount,
                                                  reason=body.reason))
            for code, delta in ((body.debit, -amount), (body.credit, amount)):
                conn.execute(update(accounts).where(accounts.c.code == code)
                             .values(balance=accounts.c.balance + delta))
        return {"id": body.id, "amount": body.amount}

    @app.get("/me")
    def me(authorization: str = Header("")) -> dict[str, Any]:
        digest = hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest()
        with engine.connect() as conn:
            conn.execution_options(read=True)  # SQLite: a deferred (read) transaction
            row = conn.execute(select(users.c.id, users.c.username)
                               .join(tokens, tokens.c.user_id == users.c.id)
                               .where(tokens.c.hash == digest)).first()
        if row is None:
            raise HTTPException(401)
        return {"id": row.id, "username": row.username}

    return app
