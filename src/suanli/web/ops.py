"""Operational routes: health and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from suanli.config import get_settings
from suanli.deps import DbSession
from suanli.kit.errors import NotAuthenticated
from suanli.web.http import problem_response

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and database reachability")
def healthz(session: DbSession) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


class MetricsTokenWanted(NotAuthenticated):
    type_ = "metrics-token"


def _refused(request: Request) -> Response | None:
    """With SUANLI_METRICS_TOKEN set, only a scraper sending it as a bearer token reads."""
    wanted = get_settings().metrics_token
    if wanted is None:
        return None
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.encode(), wanted.encode()):
        return None
    problem = MetricsTokenWanted("send the metrics token as `Authorization: Bearer <token>`",
                                 field="Authorization").problem(request.url.path)
    return problem_response(401, problem, {"WWW-Authenticate": 'Bearer realm="metrics"'})


@router.get("/metrics", summary="Prometheus metrics (a bearer token when "
                                "SUANLI_METRICS_TOKEN is set)", response_class=Response,
            responses={200: {"description": "The Prometheus text format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}},
                       401: {"description": "SUANLI_METRICS_TOKEN is set and was not sent"}})
def metrics(request: Request) -> Response:
    refused = _refused(request)
    if refused is not None:
        return refused
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
