"""/docs works under the site's content security policy: Swagger UI from the package's
own files (no CDN, no inline script), every asset it names answers 200; a favicon."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.world import PageReader, same_site


def test_docs_use_only_our_own_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    reader = PageReader()
    reader.feed(page.text)
    assert reader.links, page.text
    assert "<script>" not in page.text  # every script is a file the policy admits
    for link in reader.links:
        local = same_site("/docs", link)
        assert local is not None and link.startswith("/"), f"{link} is not same-origin"
        asset = client.get(local)
        assert asset.status_code == 200, (link, asset.status_code)
    names = " ".join(reader.links)
    assert "swagger-ui-bundle.js" in names and "swagger-ui.css" in names
    assert client.get("/openapi.json").status_code == 200


def test_there_is_a_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    login = client.get("/login")
    assert '<link rel="icon" href="/static/favicon.svg"' in login.text
    assert client.get("/static/favicon.svg").status_code == 200
