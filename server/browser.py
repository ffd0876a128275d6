"""What a browser opens: GraphiQL and the reference merchant app, built assets shipped in the package.

Both are built by Vite from `frontend-contract/` into `server/static/` and committed, so serving them
needs no Node.js and no internet (no CDN). Asset names carry a content hash: they may be cached forever.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"
GRAPHIQL = STATIC / "graphiql"
APP = STATIC / "app"
APP_PATH = "/app/"


def page(directory: Path) -> Response:
    """A built index.html, never cached (it names the current hashed assets)."""
    index = directory / "index.html"
    if not index.is_file():
        return PlainTextResponse(
            f"{directory.name} is not built: run `npm ci && npm run build` in frontend-contract/", status_code=503
        )
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


def graphiql_page() -> Response:
    return page(GRAPHIQL)


async def app_page(request: Request) -> Response:
    return page(APP)


class HashedAssets(StaticFiles):
    """Static files whose names change with their content: cacheable for a year."""

    def file_response(
        self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def browser_routes() -> list[BaseRoute]:
    """`/app` (and any path under it: the app routes by URL fragment), and the assets of both pages."""
    return [
        Route("/app", app_page),
        Route(APP_PATH, app_page),
        Mount("/app/assets", HashedAssets(directory=APP / "assets", check_dir=False)),
        Mount("/graphiql/assets", HashedAssets(directory=GRAPHIQL / "assets", check_dir=False)),
    ]
