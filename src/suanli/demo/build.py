"""Build the demo world step by step; running it twice adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.orm import Session

from suanli import migrate
from suanli.applications import demo as programs_demo
from suanli.auth import repository as auth_repo
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.config import get_settings
from suanli.demo import history, summary, today
from suanli.demo import providers as providers_demo
from suanli.integrity import service as integrity
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.kit.timeutil import SHANGHAI, clock_at, utcnow
from suanli.market import demo as market_demo
from suanli.models_registry import load_all_models
from suanli.notifications import demo as notifications_demo
from suanli.settlement import demo as settlement_demo

DEMO_PASSWORD = "suanli-demo-2026"  # noqa: S105 - printed for the demo on purpose

# (slug, name, name_zh, kind, city)
ORGANISATIONS = [
    ("suanli-platform", "Shanghai Compute Dispatch Centre", "上海算力调度中心", OrgKind.PLATFORM,
     "shanghai"),
    ("sh-eitc", "Shanghai Economy and Informatisation Commission", "上海市经济和信息化委员会",
     OrgKind.AUTHORITY, "shanghai"),
    ("acme-ai", "Acme AI (Shanghai) Co., Ltd.", "阿克米人工智能（上海）有限公司", OrgKind.STARTUP,
     "shanghai"),
    ("qingyang-state-dc", "Qingyang State Computing Centre", "庆阳国家算力中心", OrgKind.PROVIDER,
     "qingyang"),
    ("cac-regulator", "Municipal Compute Market Supervision Office", "市算力市场监管办公室",
     OrgKind.REGULATOR, "shanghai"),
    ("lingxi-labs", "Lingxi Labs (Shanghai) Co., Ltd.", "灵犀实验室（上海）有限公司",
     OrgKind.STARTUP, "shanghai"),
    ("hangzhou-vision", "Hangzhou Vision Technology Co., Ltd.", "杭州视觉科技有限公司",
     OrgKind.STARTUP, "hangzhou"),
    ("deepseed-ai", "Deepseed AI (Shanghai) Co., Ltd.", "深种人工智能（上海）有限公司",
     OrgKind.STARTUP, "shanghai"),
    ("nova-ai", "Nova AI (Shanghai) Co., Ltd.", "新星智能（上海）有限公司", OrgKind.STARTUP,
     "shanghai"),
    ("yrd-compute", "Yangtze Delta Compute Co.", "长三角算力有限公司", OrgKind.PROVIDER,
     "shanghai"),
]

# (username, display name, organisation slug, role)
USERS = [
    ("admin", "Platform Admin 平台管理员", "suanli-platform", Role.PLATFORM_ADMIN),
    ("bureau", "Wang Fang 王芳", "sh-eitc", Role.PROGRAM_ADMIN),
    ("reviewer", "Li Wei 李伟", "sh-eitc", Role.REVIEWER),
    ("buyer", "Chen Jing 陈静", "acme-ai", Role.BUYER),
    ("provider", "Zhao Lei 赵磊", "qingyang-state-dc", Role.PROVIDER),
    ("auditor", "Sun Min 孙敏", "cac-regulator", Role.AUDITOR),
    ("founder", "Zhou Yang 周洋", "nova-ai", Role.BUYER),
    # Second users where a journey needs two: another startup with a voucher of its own,
    # the second reviewer of two-reviewer decisions, a commercial provider beside the state one.
    ("buyer2", "Liu Yang 刘洋", "lingxi-labs", Role.BUYER),
    ("reviewer2", "Huang Li 黄丽", "sh-eitc", Role.REVIEWER),
    ("provider2", "Xu Ming 徐明", "yrd-compute", Role.PROVIDER),
]


def seed_identity(session: Session) -> None:
    for slug, name, name_zh, kind, city in ORGANISATIONS:
        if auth_repo.org_by_slug(session, slug) is None:
            auth_service.create_organisation(session, slug=slug, name=name, name_zh=name_zh,
                                             kind=kind, city=city)
    for username, display, org, role in USERS:
        user = auth_repo.user_by_username(session, username)
        if user is None:
            auth_service.create_user(session, username=username, display_name=display,
                                     password=DEMO_PASSWORD, memberships=[(org, role)])


# Each step runs in its own transaction; later issues append their steps here.
def verify_integrity(session: Session) -> None:
    """Verify the audit chain and the ledger the demo built, so the regulator's dashboard
    opens on a result rather than "not verified yet"."""
    integrity.check_now(session, by=integrity.Requester("suanli demo"))


Step = tuple[str, Callable[[Session], None]]
# Before the history these happen when the history begins (ninety days ago).
FOUNDING: list[Step] = [
    ("organisations and users", seed_identity),
    ("catalogue: accelerators, hubs, cities", providers_demo.seed_catalogue),
    ("providers: data centres, clusters, attestations", providers_demo.seed_providers),
    ("programs: city presets, budgets funded", programs_demo.seed_programs),
]
RECENT: list[Step] = [
    ("applications decided, vouchers issued", programs_demo.seed_applications),
    *today.STEPS,
    *market_demo.STEPS,
    *today.LATER_STEPS,
    *settlement_demo.STEPS,
    ("the audit chain and the ledger verified", verify_integrity),
    ("notifications: the inboxes filled from the outbox", notifications_demo.fill_inboxes),
]
# The small world (`suanli demo --small`, and the tests that need no history).
STEPS: list[Step] = FOUNDING + RECENT


def _founded_then(step: Callable[[Session], None]) -> Callable[[Session], None]:
    def founded(session: Session) -> None:
        with clock_at(history.at(history.first_day(utcnow().astimezone(SHANGHAI).date()), 7)):
            step(session)
    return founded


# The full world: founded ninety days ago, then every day of the history, then today.
FULL_STEPS: list[Step] = [(label, _founded_then(step)) for label, step in FOUNDING] \
    + history.STEPS + RECENT


def _reset(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(url, "base")


@dataclass
class Built:
    logins: list[tuple[str, str, str]]  # (role, username, organisation)
    counts: list[tuple[str, int]]  # (what, how many)
    usage_formats: list[str]


def run(*, reset: bool, console: Console, small: bool = False) -> Built:
    """Migrate, build every step (of the small world, or the full one with its history),
    and say what is there and how to log in."""
    steps = STEPS if small else FULL_STEPS
    url = get_settings().database_url
    if reset:
        _reset(url)
    migrate.upgrade(url)
    load_all_models()
    factory = make_sessionmaker(make_engine(url))
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("building the demo world", total=len(steps))
        for label, step in steps:
            progress.update(task, description=label)
            with unit_of_work(factory) as session:
                step(session)
            progress.advance(task)
    with unit_of_work(factory) as session:
        counted, formats = summary.counts(session), summary.usage_formats(session)
    logins = [(str(role), username, org) for username, _, org, role in USERS]
    return Built(logins, counted, formats)
