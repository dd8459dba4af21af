"""The API's interactive documentation, served under the site's own content security
policy: Swagger UI's files come from the `fastapi-offline` package (its static folder holds
Swagger UI 5, which reads OpenAPI 3.1), not a CDN, and the page starts it from a script of
ours rather than an inline one."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS = "/static/swagger-ui"
router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} · API</title>
  <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
  <main id="swagger-ui" data-openapi="{openapi}"></main>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE.format(title="Suanli", assets=ASSETS, openapi="/openapi.json"))


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    """The docs page, the favicon, and Swagger UI's files (mounted before /static)."""
    app.include_router(router)
    bundle = Path(str(files("fastapi_offline") / "static"))
    app.mount(ASSETS, StaticFiles(directory=bundle), name="swagger-ui")
