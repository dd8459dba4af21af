"""/docs in a real browser under the site's content security policy: Swagger UI draws the
operations and the console shows no policy violation (the `page` fixture checks)."""

from __future__ import annotations

from typing import Any


def test_swagger_ui_draws_the_api(page: Any, live_server: str) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() > 20
    assert all(url.startswith(live_server) for url in requests), requests
