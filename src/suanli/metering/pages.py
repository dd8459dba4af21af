"""Provider pages for metering: upload a usage file (the importer of `suanli metering
import`, with its per-row report) and make the API token a cluster's agent posts with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from suanli.auth import service as auth_service
from suanli.auth.models import User
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.documents.api import read_upload
from suanli.kit.errors import AppError
from suanli.metering import permissions as perms
from suanli.metering.api import reporter_of
from suanli.metering.importer import ImportReport, import_in
from suanli.metering.rows import Format
from suanli.providers import service as providers
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Uploader = Annotated[Principal, Guard(perms.USAGE_REPORT)]
SHOWN_ERRORS = 200  # refused rows listed on the page; the counts cover all of them


def _t(request: Request, key: str) -> str:
    return translate(language(request), key)


def _page(request: Request, *, report: ImportReport | None = None, fmt: str = "json",
          errors: dict[str, str] | None = None, status: int = 200) -> Response:
    return render(request, "metering/upload.html", status, report=report, fmt=fmt,
                  formats=[str(f) for f in Format], errors=errors or {},
                  shown=SHOWN_ERRORS)


@router.get("/providers/usage", response_class=HTMLResponse)
def upload_form(request: Request, principal: Uploader) -> Response:
    return _page(request)


@router.post("/providers/usage", response_class=HTMLResponse)
def upload_submit(request: Request, session: DbSession, principal: Uploader,
                  file: Annotated[UploadFile | None, File()] = None,
                  fmt: Annotated[str, Form(alias="format")] = "json") -> Response:
    """Every valid row lands (as the CLI does by default); the report lists the others."""
    if fmt not in {str(f) for f in Format}:
        return _page(request, fmt="json", status=422,
                     errors={"format": _t(request, "usage.bad_format")})
    if file is None or not file.filename:
        return _page(request, fmt=fmt, status=422, errors={"file": _t(request, "usage.no_file")})
    try:
        data = read_upload(request, file)
        text = data.decode("utf-8-sig")
    except AppError as exc:
        return _page(request, fmt=fmt, status=exc.status, errors={"file": exc.detail})
    except UnicodeDecodeError:
        return _page(request, fmt=fmt, status=422, errors={"file": _t(request, "usage.not_utf8")})
    report = import_in(session, lines=text.splitlines(), fmt=Format(fmt),
                       reporter=reporter_of(principal), filename=file.filename[:255])
    # 200 whenever rows landed (a 4xx would roll them back); 422 when nothing was usage.
    status = 200 if report.usable else 422
    return _page(request, report=report, fmt=fmt, status=status)


def _agent(request: Request, session: DbSession, principal: Principal, cluster_id: int,
           **extra: Any) -> Response:
    cluster = providers.get_cluster(session, cluster_id,
                                    principal.org_ids_with(perms.USAGE_REPORT))
    return render(request, "metering/agent.html", cluster=cluster,
                  platform=str(request.base_url).rstrip("/"), **extra)


@router.get("/providers/clusters/{cluster_id}/agent", response_class=HTMLResponse)
def agent_page(cluster_id: int, request: Request, session: DbSession,
               principal: Uploader) -> Response:
    return _agent(request, session, principal, cluster_id)


@router.post("/providers/clusters/{cluster_id}/agent", response_class=HTMLResponse)
def agent_token(cluster_id: int, request: Request, session: DbSession,
                principal: Uploader) -> Response:
    """A new API token named after the cluster; its secret is shown once, here."""
    providers.get_cluster(session, cluster_id, principal.org_ids_with(perms.USAGE_REPORT))
    user = session.get(User, principal.user_id)
    assert user is not None
    issued = auth_service.issue_token(session, user=user, name=f"agent cluster {cluster_id}")
    return _agent(request, session, principal, cluster_id, secret=issued.secret)
