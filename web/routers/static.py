"""The front-end's files (web/static): the chat page at /, the widget script, styles and icons,
each at /<file name>."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
CROSS_ORIGIN_FILES = {"widget.js"}  # embedded on other origins


def _file_route(file_path: Path, media_type: str):
    headers = {"Cache-Control": "no-cache"}
    if file_path.name in CROSS_ORIGIN_FILES:
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"

    async def serve() -> FileResponse:
        return FileResponse(file_path, media_type=media_type, headers=headers)

    return serve


def static_router(static_dir: Path = STATIC_DIR) -> APIRouter:
    """A route per file of the front-end (the folder is read once, when the app is built)."""
    router = APIRouter(include_in_schema=False)
    files = sorted(p for p in static_dir.rglob("*") if p.is_file() and p.suffix in MEDIA_TYPES)
    for path in files:
        url = "/" + path.relative_to(static_dir).as_posix()
        router.add_api_route(url, _file_route(path, MEDIA_TYPES[path.suffix]), methods=["GET", "HEAD"], name=f"static:{url}")
    index = static_dir / "index.html"
    if index.exists():
        router.add_api_route("/", _file_route(index, MEDIA_TYPES[".html"]), methods=["GET", "HEAD"], name="static:/")
    return router
