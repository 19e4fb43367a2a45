"""Import by upload (multipart), import runs and reject reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import FileResponse, Response

from utilcredit.access.model import NotVisibleError
from utilcredit.api.schemas import (
    ERROR_RESPONSES,
    ImportFileOut,
    ImportResultOut,
    ImportRunOut,
    ImportRunPage,
)
from utilcredit.errors import NotFoundError
from utilcredit.http.deps import AppSettings, Console, Db, Importer, engine_of
from utilcredit.http.params import MAX_ID, PagingDep
from utilcredit.importing import service as importing
from utilcredit.importing import uploads
from utilcredit.importing.runner import REJECT_COLUMNS, reject_report_row

router = APIRouter(prefix="/imports", tags=["imports"], responses=ERROR_RESPONSES)

RunId = Annotated[int, Path(ge=1, le=MAX_ID)]


def result_out(result: uploads.UploadResult) -> ImportResultOut:
    return ImportResultOut(
        upload_id=result.upload_id,
        ok=result.ok,
        files=[ImportFileOut.model_validate(f, from_attributes=True) for f in result.files],
        rejected_rows=result.rejected_rows,
        reject_report_url=f"/api/imports/uploads/{result.upload_id}/rejects.csv"
        if result.reject_report
        else None,
    )


@router.post(
    "",
    response_model=ImportResultOut,
    summary="上传导入 / import uploaded files (kind = file stem; same rules as the CLI)",
)
def upload(
    request: Request,
    principal: Importer,
    settings: AppSettings,
    console: Console,
    files: Annotated[
        list[UploadFile], File(description="subjects.csv, accounts.xlsx, bills.jsonl …")
    ],
) -> ImportResultOut:
    upload_id, paths = uploads.save_uploads(
        settings,
        principal,
        [uploads.Upload(f.filename or "", f.file) for f in files],
        console.upload_max_bytes,
    )
    result = uploads.run_import(engine_of(request), settings, principal, upload_id, paths)
    return result_out(result)


@router.get("", response_model=ImportRunPage, summary="导入记录 / import runs")
def list_runs(connection: Db, principal: Importer, paging: PagingDep) -> ImportRunPage:
    page = importing.import_runs(connection, principal, offset=paging.offset, limit=paging.limit)
    return ImportRunPage.model_validate(page, from_attributes=True)


@router.get("/{run_id}", response_model=ImportRunOut)
def get_run(run_id: RunId, connection: Db, principal: Importer) -> ImportRunOut:
    run = importing.import_run(connection, principal, run_id)
    return ImportRunOut.model_validate(run, from_attributes=True)


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REJECT_COLUMNS)
    writer.writerows(reject_report_row(row) for row in rows)  # no cell runs as a formula
    return "\ufeff" + buffer.getvalue()


@router.get(
    "/{run_id}/rejects.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="某次导入的拒收报告 / reject report of one import run (CSV, UTF-8 with BOM)",
)
def run_rejects(run_id: RunId, connection: Db, principal: Importer) -> Response:
    run = importing.import_run(connection, principal, run_id)
    name = run.file_name  # the base name only
    rows = [
        (name, row, field or "", value or "", reason)
        for row, field, value, reason in importing.rejects_of(connection, run)
    ]
    return Response(
        _csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejects-run-{run_id}.csv"'},
    )


@router.get(
    "/uploads/{upload_id}/rejects.csv",
    response_class=FileResponse,
    responses={200: {"content": {"text/csv": {}}}},
    summary="上传的拒收报告 / reject report of an upload (as the CLI writes it)",
)
def upload_rejects(
    upload_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    principal: Importer,
    settings: AppSettings,
) -> FileResponse:
    path = uploads.reject_report_path(settings, upload_id)
    if path.is_file() and not uploads.may_read_reject_report(settings, upload_id, principal):
        raise NotVisibleError(
            f"没有该拒收报告：{upload_id} / no reject report {upload_id}",
            entity="import_upload",
            entity_key=upload_id,
        )
    if not path.is_file():
        raise NotFoundError(f"没有该拒收报告：{upload_id} / no reject report {upload_id}")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": _attachment(uploads.reject_download_of(settings, upload_id))
        },
    )


def _attachment(name: str) -> str:
    """``Content-Disposition`` for a download named ``name`` in any script: the RFC 5987
    ``filename*`` (UTF-8) with a plain ASCII ``filename`` for clients that know only that."""
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
