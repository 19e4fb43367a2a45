"""Console wiring: templates, static files, the HTML error page, the page routes."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from utilcredit.web import (
    admin_users,
    application_new,
    applications,
    audit_log,
    checks,
    commitments,
    creditfile,
    exchange,
    imports,
    measures,
    notices,
    overrides,
    print_batches,
    public,
    records,
    reports,
    routes,
    runs,
    search,
    subject_notices,
    zones,
)
from utilcredit.web.casework import FormRetry
from utilcredit.web.rendering import render

STATIC = Path(__file__).parent / "static"


def html_error(
    request: Request, status: int, code: str, message: str
) -> Response | Awaitable[Response]:
    if status == 401:
        target = "/login?next=" + quote(request.url.path, safe="/")
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    retry = getattr(request.state, "form_retry", None)
    if isinstance(retry, FormRetry) and status in records.RETRIED_STATUSES:
        # A register form the services refused: back on its record page, values kept.
        return run_in_threadpool(_retry_or_error, request, retry, status, code, message)
    return _error_page(request, status, code, message)


def _retry_or_error(
    request: Request, retry: FormRetry, status: int, code: str, message: str
) -> Response:
    page = records.retry_page(request, retry, status, message)
    return page if page is not None else _error_page(request, status, code, message)


def _error_page(request: Request, status: int, code: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "message": message},
        status_code=status,
    )


def install_console(app: FastAPI) -> None:
    app.state.html_error = html_error
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    public.install_public(app)
    app.include_router(records.router)
    # The counter workflow: the new-application form goes first, its /applications/new before
    # /applications/{application_id}.
    app.include_router(application_new.router)
    app.include_router(applications.router)
    app.include_router(commitments.router)
    app.include_router(zones.router)
    app.include_router(admin_users.router)
    app.include_router(audit_log.router)
    app.include_router(measures.router)
    app.include_router(notices.router)
    app.include_router(print_batches.router)
    app.include_router(subject_notices.router)
    app.include_router(reports.router)
    app.include_router(routes.router)
    app.include_router(runs.router)
    app.include_router(search.router)  # /subjects before creditfile's /subjects/{code}
    app.include_router(creditfile.router)
    app.include_router(overrides.router)
    app.include_router(imports.router)
    app.include_router(exchange.router)
    app.include_router(checks.router)
