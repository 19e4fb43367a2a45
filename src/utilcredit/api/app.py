"""The REST API under ``/api/``: its routers, its OpenAPI document and the docs page at
``/docs``. :func:`install_api` mounts it on the application :mod:`utilcredit.server` builds.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from utilcredit.api.routers import (
    accounts,
    admin,
    applications,
    auth,
    commitments,
    exchange,
    imports,
    notice_contacts,
    notices,
    overrides,
    policies,
    records,
    reports,
    runs,
    subjects,
)
from utilcredit.http.paths import API_PREFIX, DOCS_URL, OPENAPI_URL, STATIC_PREFIX

VENDOR = f"{STATIC_PREFIX}/vendor"

TITLE = "utilcredit"
SUMMARY = "供水/供电客户信用管理 / utility customer credit management"
VERSION = "0.1.0"
DESCRIPTION = """供水/供电客户信用管理 API / utility customer credit management API.

Authenticate with `POST /api/auth/token` and send `Authorization: Bearer <token>`. Errors are
JSON `{"error": {"code", "message", "message_zh", "message_en", "fields"}}`; every user sees
only the customers of the utilities they belong to, and refused reads are audited.
"""


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for module in (auth, subjects, accounts, runs, imports, policies, overrides, records, admin):
        router.include_router(module.router)
    for module in (commitments, applications, notices, notice_contacts, exchange):
        router.include_router(module.router)
    router.include_router(reports.router)
    return router


def install_api(app: FastAPI) -> None:
    """The API's routes and the docs page (the OpenAPI document is served at
    :data:`~utilcredit.http.paths.OPENAPI_URL`, given to the application when it is built)."""
    app.include_router(api_router())

    @app.get(DOCS_URL, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title="utilcredit API",
            swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PREFIX}/favicon.svg",
        )
