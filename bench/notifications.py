"""Notification delivery: events/s and the delay from the causing change to delivery, beside
raw SMTP sends and raw HTTP posts of the same count, on SQLite and PostgreSQL.

    .venv/bin/python bench/notifications.py                      # 10,000 events, both databases
    .venv/bin/python bench/notifications.py --only sqlite --events 2000

One startup whose buyer takes e-mail and whose organisation has a webhook, so each event is
one inbox row, one e-mail and one signed webhook call. The receivers are real and run in a
process of their own: an SMTP server (aiosmtpd) and an HTTP/1.1 server that answers 200; both
count the distinct event ids they got.

* baseline: the same number of messages sent straight from this process, no database: one
  SMTP session sending the e-mails (smtplib), then one keep-alive client posting the bodies
  (httpx). Its events/s is N / (both times).
* backlog: N events committed at once (transactions of 500), then the sender (`run_pass`:
  dispatch, claim, send, record) drains them. events/s = N / time to drain; the delay from
  each event's commit to its delivery mostly measures the queue.
* paced: N events committed in transactions of 10 at `--rate` events/s while the sender
  runs as in `suanli worker` (a pass every 0.05 s); the delay (p50, p99) from the causing
  change to delivery, per message.

This asserts nothing but that every event reached both receivers; it prints a table.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import smtplib
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' receivers

from suanli import migrate, outbox
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.models_registry import load_all_models
from suanli.notifications import sender, signing
from suanli.notifications.config import notify_settings
from suanli.notifications.messages import Envelope, event_mail, webhook_body
from suanli.notifications.models import (
    Delivery,
    DeliveryStatus,
    NotificationSettings,
    WebhookEndpoint,
)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SECRET = "whsec_bench"

load_all_models()


# --- the receivers, in a process of their own ---------------------------------------------


def _receivers(smtp_port: int, http_port: int, ready: Any, stop: Any, out: Any) -> None:
    import email.parser
    import http.server

    from aiosmtpd.controller import Controller

    mail_ids: set[str] = set()
    hook_ids: set[str] = set()
    counts = {"mail": 0, "hook": 0}
    lock = threading.Lock()
    headers_only = email.parser.BytesHeaderParser()

    class Box:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = headers_only.parsebytes(envelope.content)
            with lock:
                counts["mail"] += 1
                mail_ids.add(str(msg["Suanli-Event-Id"]))
            return "250 OK"

    class Hook(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                counts["hook"] += 1
                hook_ids.add(str(self.headers.get("Suanli-Event-Id")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    controller = Controller(Box(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), Hook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    while True:
        command = out.recv()
        if command == "reset":
            with lock:
                mail_ids.clear()
                hook_ids.clear()
                counts.update(mail=0, hook=0)
            out.send("ok")
        elif command == "counts":
            with lock:
                out.send((counts["mail"], len(mail_ids), counts["hook"], len(hook_ids)))
        else:
            break
    server.shutdown()
    controller.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Receivers:
    smtp_port: int
    http_port: int
    pipe: Any
    process: Any

    def reset(self) -> None:
        self.pipe.send("reset")
        self.pipe.recv()

    def counts(self) -> tuple[int, int, int, int]:
        self.pipe.send("counts")
        return tuple(self.pipe.recv())  # type: ignore[return-value]

    def close(self) -> None:
        self.pipe.send("stop")
        self.process.join(timeout=10)


def start_receivers() -> Receivers:
    ctx = mp.get_context("spawn")
    ready, stop = ctx.Event(), ctx.Event()
    mine, theirs = ctx.Pipe()
    smtp_port, http_port = _free_port(), _free_port()
    process = ctx.Process(target=_receivers, args=(smtp_port, http_port, ready, stop, theirs),
                          daemon=True)
    process.start()
    if not ready.wait(30):
        raise RuntimeError("receivers did not start")
    return Receivers(smtp_port, http_port, mine, process)


# --- the database -------------------------------------------------------------------------


def new_database(backend: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'notify-{uuid.uuid4().hex[:6]}.db'}", lambda: None
    base = os.environ.get("SUANLI_BENCH_PG_URL", PG_DEFAULT)
    name = f"suanli_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def seed(factory: sessionmaker[Session], hook_url: str) -> int:
    """A startup with one buyer taking e-mail (Chinese) and a webhook; the org's id."""
    with unit_of_work(factory) as s:
        org = auth_service.create_organisation(s, slug="bench-ai", name="Bench AI",
                                               kind=OrgKind.STARTUP)
        user = auth_service.create_user(s, username="bench", display_name="Bench",
                                        password="correct horse battery",
                                        memberships=[("bench-ai", Role.BUYER)])
        s.add(NotificationSettings(user_id=user.id, email="bench@bench.test", language="zh",
                                   digest=False))
        s.add(WebhookEndpoint(organisation_id=org.id, url=hook_url, secret=SECRET, topics=[],
                              active=True))
        return int(org.id)


def emit(factory: sessionmaker[Session], org_id: int, first: int, count: int) -> None:
    with unit_of_work(factory) as s:
        for n in range(first, first + count):
            outbox.emit(s, "voucher.issued", subject=("voucher", n), orgs={"buyer": org_id},
                        payload={"voucher_id": n, "program_id": 1, "value_fen": 100_000_000,
                                 "valid_until": "2027-01-31T16:00:00+00:00"})


def delays(factory: sessionmaker[Session]) -> tuple[list[float], int]:
    """Seconds from each event to each delivery of it, and how many are delivered."""
    with unit_of_work(factory) as s:
        rows = s.execute(select(Delivery.occurred_at, Delivery.delivered_at).where(
            Delivery.status == DeliveryStatus.DELIVERED)).all()
    return [(d - o).total_seconds() for o, d in rows], len(rows)


def pending(factory: sessionmaker[Session]) -> int:
    with unit_of_work(factory) as s:
        return int(s.execute(select(func.count()).where(
            Delivery.status == DeliveryStatus.PENDING)).scalar_one())


def clear(factory: sessionmaker[Session]) -> None:
    with unit_of_work(factory) as s:
        for table in ("notification_attempts", "notification_deliveries", "notifications",
                      "outbox_events"):
            s.execute(text(f"DELETE FROM {table}"))


# --- the runs -----------------------------------------------------------------------------


def baseline(n: int, rx: Receivers) -> tuple[float, float]:
    """Seconds to send n e-mails over one SMTP session, and n webhook posts over one
    keep-alive client, of the same shape as the sender's."""
    env = Envelope("Suanli <noreply@bench.test>", "bench@bench.test", "bench.test",
                   "http://suanli.test")
    now = datetime.now(UTC)
    payload = {"voucher_id": 1, "program_id": 1, "value_fen": 100_000_000,
               "valid_until": "2027-01-31T16:00:00+00:00"}
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", rx.smtp_port) as client:
        for i in range(n):
            mail = event_mail(env, kind="voucher.issued", payload=payload, lang="zh",
                              event_id=f"base-{i}", user_id=1, occurred_at=now)
            client.sendmail("noreply@bench.test", ["bench@bench.test"], mail)
    smtp_s = time.perf_counter() - started
    started = time.perf_counter()
    with httpx.Client() as client:
        for i in range(n):
            body = webhook_body(event_id=f"base-{i}", kind="voucher.issued", occurred_at=now,
                                subject_type="voucher", subject_id=str(i), organisation_id=1,
                                payload=payload)
            stamp = int(time.time())
            client.post(f"http://127.0.0.1:{rx.http_port}/hook", content=body, headers={
                "Content-Type": "application/json", "Suanli-Event-Id": f"base-{i}",
                "Suanli-Timestamp": str(stamp),
                "Suanli-Signature": signing.signature(SECRET, stamp, body)}).raise_for_status()
    return smtp_s, time.perf_counter() - started


def backlog(factory: sessionmaker[Session], org_id: int, n: int) -> tuple[float, float]:
    """(seconds to commit n events, seconds for the sender to deliver them all)."""
    started = time.perf_counter()
    for first in range(0, n, 500):
        emit(factory, org_id, first, min(500, n - first))
    emitted = time.perf_counter() - started
    started = time.perf_counter()
    settings = notify_settings()
    while True:
        report = sender.run_pass(factory, settings=settings, with_reminders=False,
                                 max_batches=1000)
        if report.failed:
            raise RuntimeError(f"{report.failed} deliveries failed: {report.outcomes[:3]}")
        if pending(factory) == 0:
            break
    return emitted, time.perf_counter() - started


def paced(factory: sessionmaker[Session], org_id: int, n: int, rate: float) -> float:
    """Commit n events at `rate` per second (10 per transaction) while the sender runs;
    seconds from the first commit to the last delivery."""
    stop = threading.Event()
    thread = threading.Thread(target=sender.run_forever, args=(factory, stop), daemon=True)
    thread.start()
    started = time.perf_counter()
    for k, first in enumerate(range(0, n, 10)):
        due = started + k * 10 / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        emit(factory, org_id, 1_000_000 + first, min(10, n - first))
    while pending(factory) or delays(factory)[1] < 2 * n:
        time.sleep(0.05)
    took = time.perf_counter() - started
    stop.set()
    thread.join(timeout=30)
    return took


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(backend: str, n: int, rate: float, tmp: Path) -> list[str]:
    rx = start_receivers()
    url, drop = new_database(backend, tmp)
    os.environ.update({"SUANLI_SMTP_HOST": "127.0.0.1", "SUANLI_SMTP_PORT": str(rx.smtp_port),
                       "SUANLI_SMTP_FROM": "Suanli <noreply@bench.test>",
                       "SUANLI_WEBHOOK_ALLOW_PRIVATE": "1", "SUANLI_NOTIFY_POLL": "0.05",
                       "SUANLI_BASE_URL": "http://suanli.test"})
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        org_id = seed(factory, f"http://127.0.0.1:{rx.http_port}/hook")
        smtp_s, http_s = baseline(n, rx)
        base_rate = n / (smtp_s + http_s)
        rx.reset()
        emitted_s, drained_s = backlog(factory, org_id, n)
        mails, mail_ids, hooks, hook_ids = rx.counts()
        assert mail_ids == n and hook_ids == n, (mails, mail_ids, hooks, hook_ids)
        backlog_delays, _ = delays(factory)
        clear(factory)
        rx.reset()
        paced_s = paced(factory, org_id, n, rate)
        mails, mail_ids, hooks, hook_ids = rx.counts()
        assert mail_ids == n and hook_ids == n, (mails, mail_ids, hooks, hook_ids)
        paced_delays, _ = delays(factory)
        engine.dispose()
    finally:
        rx.close()
        drop()
    sent_rate = n / drained_s
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    return [
        f"| {name} | baseline: raw smtplib + httpx, no database | {base_rate:,.0f} | "
        f"SMTP {smtp_s:.1f} s + HTTP {http_s:.1f} s | | |",
        f"| {name} | backlog: {n:,} committed, then drained | {sent_rate:,.0f} "
        f"({sent_rate / base_rate:.2f}x) | commit {emitted_s:.1f} s, drain {drained_s:.1f} s | "
        f"{statistics.median(backlog_delays):.1f} s | {pct(backlog_delays, 0.99):.1f} s |",
        f"| {name} | paced: {rate:,.0f} events/s while sending | {n / paced_s:,.0f} | "
        f"{paced_s:.1f} s | {pct(paced_delays, 0.5) * 1000:,.0f} ms | "
        f"{pct(paced_delays, 0.99) * 1000:,.0f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0,
                        help="events per second committed in the paced run")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.events < 10 or args.rate <= 0:
        parser.error("--events must be at least 10 and --rate above zero")
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    print("| database | run | events/s (x baseline) | time | delay p50 | delay p99 |\n"
          "|---|---|---:|---|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            try:
                lines = run(backend, args.events, args.rate, Path(tmp))
            except Exception as exc:  # e.g. no PostgreSQL here: say so, carry on
                if backend == "sqlite" or args.only:
                    raise
                lines = [f"| PostgreSQL | skipped: {type(exc).__name__}: {exc} | | | | |"]
            print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
