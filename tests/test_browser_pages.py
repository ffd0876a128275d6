"""GraphiQL and the reference app are served from the package: no CDN, no Node.js at run time.

The browser test (frontend-contract/e2e, run by ./test.sh with npm) drives them in chromium; these
checks need only Python, so they hold wherever the suite runs.
"""

from __future__ import annotations

import re

import httpx
import pytest

from server.browser import APP, GRAPHIQL
from server.demo import banner

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.mark.parametrize(
    ("path", "prefix"), [("/graphql", "/graphiql/assets/"), ("/app", "/app/assets/"), ("/app/", "/app/assets/")]
)
async def test_a_page_and_every_asset_it_names_come_from_the_server(
    client: httpx.AsyncClient, path: str, prefix: str
) -> None:
    page = await client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(page.text)
    assert assets and all(a.startswith(prefix) for a in assets), assets  # nothing from another host
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200, asset
        assert "immutable" in response.headers["cache-control"]


async def test_graphiql_is_ours_not_the_cdn_page(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers={"Accept": "text/html"})).text
    assert "unpkg.com" not in page and "cdn" not in page.lower()
    assert '<div id="graphiql">' in page


async def test_an_unknown_asset_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/app/assets/nothing-here.js")).status_code == 404


def test_the_built_assets_are_in_the_package() -> None:
    for built in (APP, GRAPHIQL):
        assert (built / "index.html").is_file()
        assert any(built.glob("assets/index-*.js"))


def test_the_demo_banner_names_the_app_and_graphiql() -> None:
    text = banner("0.0.0.0", 8123, "tok")
    assert "http://127.0.0.1:8123/app/" in text
    assert "http://127.0.0.1:8123/graphql#token=tok" in text
