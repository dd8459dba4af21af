"""Subprocesses for the concurrency and kill tests.

    python -m tests.ledger.worker spend URL DEBIT CREDIT AMOUNT ID
        prints "ready", waits for a line on stdin, then tries the transfer and prints JSON.
    python -m tests.ledger.worker batch URL TAG COUNT
        prints "started", runs one linked batch of COUNT transfers (ids TAG-0...), prints
        "applied" before and "committed" after the commit.
"""

from __future__ import annotations

import json
import sys

from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.errors import AppError
from suanli.ledger import service as ledger
from suanli.ledger.posting import TransferSpec

TREASURY = "treasury:test"
TARGETS = ["program-budget:1", "voucher:1", "buyer-cash:1", "provider-receivable:1"]


def batch_specs(tag: str, count: int) -> list[TransferSpec]:
    return [TransferSpec.transfer(id=f"{tag}-{i}", debit=TREASURY, credit=TARGETS[i % 4],
                                  amount=1 + i % 7, reason="kill-test") for i in range(count)]


def spend(url: str, debit: str, credit: str, amount: str, transfer_id: str) -> None:
    engine = make_engine(url)
    engine.connect().close()  # connect before the start signal, not after
    sessions = make_sessionmaker(engine)
    print("ready", flush=True)
    sys.stdin.readline()
    try:
        with unit_of_work(sessions) as session:
            ledger.transfer(session, id=transfer_id, debit=debit, credit=credit,
                            amount=int(amount), reason="race")
        print(json.dumps({"ok": True}), flush=True)
    except AppError as exc:
        print(json.dumps({"ok": False, "error": type(exc).__name__}), flush=True)


def batch(url: str, tag: str, count: str) -> None:
    engine = make_engine(url)
    engine.connect().close()
    sessions = make_sessionmaker(engine)
    specs = batch_specs(tag, int(count))
    print("started", flush=True)
    with unit_of_work(sessions) as session:
        ledger.batch(session, specs)
        print("applied", flush=True)
    print("committed", flush=True)


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"spend": spend, "batch": batch}[mode](*args)
