"""Console wiring: templates, static files, the HTML error page, the page routes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from utilcredit.web import routes
from utilcredit.web.rendering import render

STATIC = Path(__file__).parent / "static"


def html_error(request: Request, status: int, code: str, message: str) -> Response:
    if status == 401:
        target = "/login?next=" + quote(request.url.path, safe="/")
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": message},
        status_code=status,
    )


def install_console(app: FastAPI) -> None:
    app.state.html_error = html_error
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(routes.router)
