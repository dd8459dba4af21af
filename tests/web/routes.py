"""The app's routes with their full paths, whichever way FastAPI keeps included routers.

FastAPI before 0.160 copies every included route into `app.routes`; later versions keep
the included routers as such, so `app.routes` alone misses most routes. Tests that walk
every route read them here.
"""

from __future__ import annotations

from fastapi import FastAPI, routing
from fastapi.routing import APIRoute


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) for every API and page route of the app."""
    iterate = getattr(routing, "iter_route_contexts", None)
    if iterate is None:
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    return [(c.path, c.route) for c in iterate(app.routes) if isinstance(c.route, APIRoute)]
