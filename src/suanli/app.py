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
from suanli.deps import bounded_ids, csrf_protect
from suanli.kit import logs
from suanli.kit.db import make_engine, make_sessionmaker
from suanli.kit.waits import Waits
from suanli.models_registry import load_all_models
from suanli.web import docs as api_docs
from suanli.web import onehop as one_hop
from suanli.web import openapi
from suanli.web.flash import FlashMiddleware
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
    from suanli.catalog.api import router as catalog_api
    from suanli.catalog.pages import router as catalog_pages
    from suanli.integrity.api import router as integrity_api
    from suanli.integrity.audit_api import router as audit_api
    from suanli.integrity.audit_pages import router as audit_pages
    from suanli.integrity.ledger_pages import router as ledger_pages
    from suanli.integrity.pages import router as integrity_pages
    from suanli.ledger.api import router as ledger_api
    from suanli.providers.api import router as providers_api
    from suanli.providers.compliance_api import router as compliance_api
    from suanli.providers.compliance_pages import router as compliance_pages
    from suanli.providers.pages import router as providers_pages
    from suanli.web.auth_api import router as auth_api
    from suanli.web.confirm import install as install_confirm
    from suanli.web.confirm import router as confirm_pages
    from suanli.web.ops import router as ops
    from suanli.web.pages import router as core_pages

    app.include_router(ops)
    for api in (auth_api, audit_api, catalog_api, providers_api, compliance_api, ledger_api,
                integrity_api):
        app.include_router(api, prefix="/api/v1")
    for pages in (core_pages, confirm_pages, audit_pages, catalog_pages, providers_pages,
                  compliance_pages, ledger_pages, integrity_pages):
        app.include_router(pages)
    _include_vouchers(app)
    _include_market(app)
    _include_settlement(app)
    _include_notifications(app)
    _include_dashboards(app)
    install_confirm(app)


def _include_dashboards(app: FastAPI) -> None:
    """Each role's home-page dashboard, order and contract pages, the help page, CSV
    exports, and the provider's usage upload and agent token pages (issue 17)."""
    from suanli.dashboards.detail_pages import router as detail_pages
    from suanli.dashboards.exports import router as exports
    from suanli.dashboards.panels import register as register_dashboards
    from suanli.dashboards.role_panels import register as register_role_dashboards
    from suanli.metering.pages import router as metering_pages
    from suanli.web.help import router as help_pages

    register_dashboards()
    register_role_dashboards()
    app.include_router(help_pages)
    app.include_router(detail_pages)
    app.include_router(exports)
    app.include_router(metering_pages)


def _include_settlement(app: FastAPI) -> None:
    """Metering, settlement and reports (issue 7)."""
    from suanli.grants.api import router as grants_api
    from suanli.grants.pages import router as grants_pages
    from suanli.metering.api import router as metering_api
    from suanli.metering.model_api import router as models_api
    from suanli.reports.api import router as reports_api
    from suanli.reports.pages import router as reports_pages
    from suanli.settlement.api import router as settlement_api
    from suanli.settlement.pages import router as settlement_pages
    from suanli.settlement.token_api import router as tokens_api
    from suanli.settlement.token_pages import router as tokens_pages

    for api in (metering_api, models_api, settlement_api, tokens_api, reports_api, grants_api):
        app.include_router(api, prefix="/api/v1")
    for pages in (settlement_pages, tokens_pages, reports_pages, grants_pages):
        app.include_router(pages)


def _include_notifications(app: FastAPI) -> None:
    """The inbox, preferences, webhooks and alerts (issue 19); the top bar's unread count."""
    from suanli.notifications.api import router as notifications_api
    from suanli.notifications.pages import register
    from suanli.notifications.pages import router as notifications_pages

    app.include_router(notifications_api, prefix="/api/v1")
    app.include_router(notifications_pages)
    register()


def _include_market(app: FastAPI) -> None:
    """Offers, orders, rounds, contracts and market data (issues 4 and 6)."""
    from suanli.market.offers_api import router as offers_api
    from suanli.market.orders_api import router as orders_api
    from suanli.market.pages import router as market_pages
    from suanli.market.pages_ops import router as market_ops_pages
    from suanli.market.rounds_api import router as rounds_api

    for api in (offers_api, orders_api, rounds_api):
        app.include_router(api, prefix="/api/v1")
    for pages in (market_pages, market_ops_pages):
        app.include_router(pages)


def _include_vouchers(app: FastAPI) -> None:
    """Programs, applications, vouchers and documents (issue 5)."""
    from suanli.applications.api import router as applications_api
    from suanli.applications.pages import router as applications_pages
    from suanli.applications.review_pages import router as review_pages
    from suanli.documents.api import router as documents_api
    from suanli.programs.api import router as programs_api
    from suanli.programs.credit_api import router as credit_api
    from suanli.programs.credit_pages import router as credit_pages
    from suanli.programs.editor import router as programs_editor
    from suanli.programs.pages import router as programs_pages
    from suanli.programs.rules_pages import router as rules_pages
    from suanli.vouchers.api import router as vouchers_api
    from suanli.vouchers.pages import router as vouchers_pages
    from suanli.vouchers.paired import api as paired_api
    from suanli.vouchers.paired import pages as paired_pages
    from suanli.vouchers.totals import register as register_voucher_totals

    register_voucher_totals()  # the budget views of programs read them
    # /vouchers/paired before /vouchers/{voucher_id}.
    for api in (programs_api, credit_api, applications_api, paired_api, vouchers_api,
                documents_api):
        app.include_router(api, prefix="/api/v1")
    # The editor first: its /programs/new must win over /programs/{program_id}.
    for pages in (programs_editor, rules_pages, programs_pages, credit_pages, applications_pages,
                  review_pages, paired_pages, vouchers_pages):
        app.include_router(pages)


def create_app(
    *, sessions: sessionmaker[Session] | None = None, check_migrations: bool = True
) -> FastAPI:
    """Build the app on the configured database (or on `sessions`, as tests do)."""
    logs.configure()
    load_all_models()
    waits = Waits.from_env()
    if sessions is None:
        engine = make_engine(get_settings().database_url, waits=waits,
                             statement_timeout_ms=waits.statement_timeout_ms)
        if check_migrations:
            ensure_migrated(engine)
        sessions = make_sessionmaker(engine)
    app = FastAPI(
        title="Suanli",
        version=__version__,
        summary="Compute-voucher programs and a GPU-compute exchange",
        description="JSON API of Suanli. Authenticate with `Authorization: Bearer <token>`; "
        "money is a decimal string of CNY; errors are RFC 9457 problem+json.",
        dependencies=[Depends(csrf_protect), Depends(bounded_ids)],
        docs_url=None, redoc_url=None,  # web/docs.py serves them under our CSP
    )
    app.state.sessions = sessions
    install_middleware(app, waits)
    app.add_middleware(FlashMiddleware)
    install_error_handlers(app)
    include_domains(app)
    one_hop.install(app)
    api_docs.install(app)
    openapi.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
