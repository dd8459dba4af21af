"""The demo's notifications: every event the demo caused, dispatched into the inboxes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.notifications import dispatch
from suanli.notifications.config import notify_settings


def fill_inboxes(session: Session) -> None:
    """Dispatch the outbox (as the sender in `suanli worker` would) so that each demo user
    opens an inbox with what happened to them."""
    settings = notify_settings()
    while dispatch.dispatch(session, settings=settings) == dispatch.BATCH:
        pass
