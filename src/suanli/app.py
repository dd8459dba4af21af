"""The FastAPI application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from suanli import __version__, migrate
from suanli.config import get_settings
from suanli.deps import csrf_protect
from suanli.kit import logs
from suanli.kit.db import make_engine, make_sessionmaker
from suanli.web.http import install_error_handlers, install_middleware

log = logging.getLogger("suanli.app")
STATIC = Path(__file__).parent / "web" / "static"


class DatabaseNotMigrated(RuntimeError):
    """The database lacks migrations; the message says which command applies them."""


def ensure_migrated(engine: Engine) -> None:
    missing = migrate.pending(engine)
    if missing:
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseNotMigrated(
            f"the database {url} is not migrated (missing {', '.join(sorted(missing))}); "
            "run `suanli db upgrade` first"
        )


def include_domains(app: FastAPI) -> None:
    """Mount every domain's API routes and pages. Each domain adds its routers here."""
    from suanli.audit.api import router as audit_api
    from suanli.audit.pages import router as audit_pages
    from suanli.auth.api import router as auth_api
    from suanli.web.ops import router as ops
    from suanli.web.pages import router as core_pages

    app.include_router(ops)
    for api in (auth_api, audit_api):
        app.include_router(api, prefix="/api/v1")
    for pages in (core_pages, audit_pages):
        app.include_router(pages)


def create_app(
    *, sessions: sessionmaker[Session] | None = None, check_migrations: bool = True
) -> FastAPI:
    """Build the app on the configured database (or on `sessions`, as tests do)."""
    logs.configure()
    if sessions is None:
        engine = make_engine(get_settings().database_url)
        if check_migrations:
            ensure_migrated(engine)
        sessions = make_sessionmaker(engine)
    app = FastAPI(
        title="Suanli",
        version=__version__,
        summary="Compute-voucher programs and a GPU-compute exchange",
        description="JSON API of Suanli. Authenticate with `Authorization: Bearer <token>`; "
        "money is a decimal string of CNY; errors are RFC 9457 problem+json.",
        dependencies=[Depends(csrf_protect)],
    )
    app.state.sessions = sessions
    install_middleware(app)
    install_error_handlers(app)
    include_domains(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
