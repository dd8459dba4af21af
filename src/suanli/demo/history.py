"""Ninety days of history before today, one step (and one transaction) per day, each part of
the day run by the real services with the clock set to its hour (Asia/Shanghai):

02:00 contracts move on; yesterday's usage imported (Slurm `sacct` and JSON Lines every
      day, DCGM/Prometheus scrapes on Mondays); 03:00 yesterday settled; on Fridays the
      authorities decide the week's reimbursement claims; expired vouchers swept.
08:00 startups register and apply; reviewers decide what waited three days.
09:00 every seventh day the clusters list 3/8 of their GPUs (at most 48) for eight days.
      Startups holding vouchers order a day of GPUs for tomorrow.
10:00 the clearing round; 11:00 every other day an instant buy.

A day is done when its round exists (trigger `hYYMMDD`), so a second run adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.demo import history_market as market
from suanli.demo import history_people as people
from suanli.demo import history_usage as usage
from suanli.kit.timeutil import SHANGHAI, clock_at, utcnow
from suanli.market.models import Round

DAYS = 90


def first_day(today: date) -> date:
    return today - timedelta(days=DAYS)


def at(day: date, hour: int) -> datetime:
    """`hour` o'clock of `day` in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _trigger(day: date) -> str:
    return f"h{day:%y%m%d}"


def _done(session: Session, day: date) -> bool:
    stmt = select(Round.id).where(Round.trigger == _trigger(day)).limit(1)
    return session.execute(stmt).first() is not None


def _serial(day_index: int) -> int:
    return sum(people.startups_on(d) for d in range(day_index))


def _night(session: Session, day: date, index: int) -> None:
    with clock_at(at(day, 2)):
        usage.import_yesterday(session, day=day, scrapes=day.weekday() == 0)
    with clock_at(at(day, 3)):
        usage.settle(session, day=day - timedelta(days=1), decide_claims=day.weekday() == 4)


def _morning(session: Session, day: date, index: int) -> None:
    reviewer = auth_repo.user_by_username(session, "reviewer")
    with clock_at(at(day, 8)):
        first = _serial(index)
        for serial in range(first, first + people.startups_on(index)):
            people.apply(session, serial=serial, now=utcnow())
        people.review_waiting(session, now=utcnow(), reviewer_id=reviewer.id if reviewer else None)
        usage.vouchers_of_the_day(session, index=index)


def _market(session: Session, day: date, index: int, last: date) -> None:
    tomorrow = at(day + timedelta(days=1), 0)
    progress = Decimal(index) / DAYS
    with clock_at(at(day, 9)):
        if index % 7 == 0:
            # Eight days: the last overlaps the next week's listing, so that the round on
            # the eve of a listing day finds offers for tomorrow.
            until = min(at(day + timedelta(days=8), 0), at(last + timedelta(days=1), 0))
            market.list_week(session, start=at(day, 0), until=until, progress=progress,
                             week=index // 7)
        if day < last:  # the last day's orders would start today, among today's contracts
            market.place_orders(session, day_index=index, now=utcnow(), start=tomorrow)
    with clock_at(at(day, 10)):
        market.clear(session, trigger=_trigger(day), now=utcnow())
    if day < last and index % 2:
        with clock_at(at(day, 11)):
            market.instant_buy(session, day_index=index, now=utcnow(), start=tomorrow)


def day_step(index: int) -> Callable[[Session], None]:
    """The step that builds day `index` of the history (0 = ninety days ago)."""
    def step(session: Session) -> None:
        today = utcnow().astimezone(SHANGHAI).date()
        day, last = first_day(today) + timedelta(days=index), today - timedelta(days=2)
        if _done(session, day):
            return
        _night(session, day, index)
        _morning(session, day, index)
        _market(session, day, index, last)
    return step


STEPS: list[tuple[str, Callable[[Session], None]]] = [
    (f"history: day {n + 1} of {DAYS}", day_step(n)) for n in range(DAYS)]
