"""Console page of imports (数据导入): the runs so far, an upload of billing exports and its
progress. The upload runs in the background (``importing/uploads.py``: one transaction per
file), so the page polls the job it started.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from utilcredit.errors import NotFoundError
from utilcredit.http.deps import AppSettings, Console, Db, Importer, engine_of
from utilcredit.importing import service as importing
from utilcredit.importing import uploads
from utilcredit.importing.formats import IMPORT_ORDER
from utilcredit.web.i18n import CATALOG, LANG_COOKIE, Translator, language
from utilcredit.web.notice_pages import local
from utilcredit.web.rendering import render

router = APIRouter(include_in_schema=False)

PAGE = 20
_jobs = uploads.ImportJobs()


def _labelled(t: Translator, prefix: str) -> Callable[[str | None], str]:
    """A stored value (a kind, a run status) in the page's language; an unknown one as
    "unknown", never as its stored English name."""

    def label(value: str | None) -> str:
        key = f"{prefix}.{value}"
        return t(key) if key in CATALOG else t("imports.unknown_kind")

    return label


def _words(request: Request) -> dict[str, Any]:
    """What the import templates show stored values and times with."""
    t = Translator(language(request.cookies.get(LANG_COOKIE)))
    return {
        "kind_label": _labelled(t, "imports.kind"),
        "status_label": _labelled(t, "imports.status"),
        "local": local,  # Asia/Shanghai, to the minute
        "kinds": IMPORT_ORDER,
    }


@router.get("/imports")
def imports_page(
    request: Request,
    connection: Db,
    principal: Importer,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    page = importing.import_runs(connection, principal, offset=offset, limit=PAGE)
    return render(request, "imports.html", {"page": page, **_words(request)})


@router.post("/imports")
def start_import(
    request: Request,
    principal: Importer,
    settings: AppSettings,
    console: Console,
    files: Annotated[list[UploadFile], File()],
) -> Response:
    upload_id, paths = uploads.save_uploads(
        settings,
        principal,
        [uploads.Upload(f.filename or "", f.file) for f in files],
        console.upload_max_bytes,
    )
    progress = _jobs.start(engine_of(request), settings, principal, upload_id, paths)
    return render(
        request,
        "partials/import_progress.html",
        {"upload_id": upload_id, "progress": progress, **_words(request)},
    )


@router.get("/imports/jobs/{upload_id}")
def import_progress(request: Request, upload_id: str, principal: Importer) -> Response:
    progress = _jobs.get(upload_id, principal.username)
    if progress is None:
        raise NotFoundError(f"没有该导入任务：{upload_id} / no import job {upload_id}")
    return render(
        request,
        "partials/import_progress.html",
        {"upload_id": upload_id, "progress": progress, **_words(request)},
    )
