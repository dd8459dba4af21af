"""`suanli notifications`: the sender on its own (it also runs inside `suanli worker`)."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from suanli.settlement import worker

notifications_app = typer.Typer(help="Notifications: the outbox sender.", no_args_is_help=True)


@notifications_app.command("send")
def send(once: Annotated[bool, typer.Option(help="One pass, then stop")] = False) -> None:
    """Deliver notifications: dispatch the outbox, send due e-mails and webhook calls
    (retried with backoff), emit reminders and daily digests. Runs until stopped, a pass
    every SUANLI_NOTIFY_POLL seconds; --once makes one pass."""
    from suanli.kit.cli import console, sessions
    from suanli.notifications.sender import run_forever, run_pass

    factory = sessions()
    if once:
        report = run_pass(factory)
        console.print(f"dispatched {report.dispatched} events, sent {report.sent}, "
                      f"failed {report.failed} (retried later), reminders {report.reminders}, "
                      f"digests {report.digests}", highlight=False)
        return
    console.print("notifications sender: running (Ctrl-C stops it)")
    stop = threading.Event()
    try:
        run_forever(factory, stop)
    except KeyboardInterrupt:
        stop.set()


def _sender(factory: sessionmaker[Session], stop: threading.Event) -> None:
    from suanli.notifications.sender import run_forever

    run_forever(factory, stop)


worker.register_service(_sender)  # `suanli worker` runs the sender beside its schedule
