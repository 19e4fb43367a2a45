"""Exports for the public credit platform and their submission batches (报送, issue 13 item 7).

An export is a batch, made with the same use case as ``utilcredit export``: the settings'
``data_dir/exchange`` holds its files, the records' determining units fill 经办机关 / 认定机构.
Exporting needs ``exchange`` and covers only utilities the user belongs to (by default all of
them; another is 403, audited). A batch is read by those who read each of its utilities
(another utility's batch is 404, audited); its files download by role, each download audited.
A month's error rates (``/batches/errors``) count only the batches the reader reads; a
returned row is corrected by a member of each of its batch's utilities (another's: 404).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import FileResponse

from utilcredit.access.model import Permission, Principal
from utilcredit.api.schemas import ERROR_RESPONSES
from utilcredit.api.schemas_exchange import (
    PURPOSES,
    BatchOut,
    BatchPage,
    CheckPage,
    CheckUseIn,
    CorrectionIn,
    CreditCheckOut,
    ExportOut,
    ExportRequestIn,
    MonthErrorsOut,
    ProblemOut,
    ReturnedRowOut,
    ReturnsOut,
    ValidationOut,
    batch_out,
    check_out,
    month_errors_out,
    returned_out,
)
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError
from utilcredit.exchange import checks, service, submission, visibility
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import BatchStatus, CheckPurpose
from utilcredit.exchange.platform import client_from
from utilcredit.http.deps import AppSettings, Console, Db, Reader, Requires
from utilcredit.http.params import MAX_ID, NO_NUL, PagingDep
from utilcredit.localtime import today
from utilcredit.paging import page_of

Exchanger = Annotated[Principal, Depends(Requires(Permission.EXCHANGE))]
BatchId = Annotated[int, Path(ge=1, le=MAX_ID)]
Role = Annotated[str, Path(pattern="^(data|keys|invalid)$", description="data | keys | invalid")]
KindQuery = Annotated[str | None, Query(max_length=32, pattern=NO_NUL)]
SHOWN_PROBLEMS = Query(ge=1, le=10_000, description="problems listed at most")

router = APIRouter(tags=["exchange"], responses=ERROR_RESPONSES)

# What each format is served as (the data file's format is the batch's).
MEDIA_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain; charset=utf-8",
}


@router.post(
    "/exports",
    response_model=ExportOut,
    status_code=201,
    summary="导出报送文件，生成报送批次 / export a catalog kind as a new submission batch",
)
def create_export(
    body: ExportRequestIn, connection: Db, principal: Exchanger, settings: AppSettings
) -> ExportOut:
    request = service.ExportRequest(
        catalog=body.catalog,
        kind=body.kind,
        as_of=body.as_of or today(),
        utilities=visibility.export_utilities(principal, body.utility),
        fmt=body.format,
        encoding=body.encoding,
        since_last=body.since_last,
        actor=principal.username,
    )
    outcome = service.export(
        connection,
        request,
        units=settings.records.determining_units,
        root=settings.data_dir / "exchange",
        allow_list=settings.uscc_allow_list,
    )
    shown = batch_out(outcome.batch)
    return ExportOut(
        **shown.model_dump(),
        problems=[ProblemOut.model_validate(p) for p in outcome.problems],
    )


@router.post(
    "/exports/validate",
    response_model=ValidationOut,
    summary="按平台规则校验文件 / check a catalog file as the platform would",
)
def validate_export(
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    file: Annotated[UploadFile, File(description="CSV（UTF-8 或 GB18030）、XLSX 或 JSON")],
    catalog: Annotated[str, Query(max_length=32, pattern=NO_NUL)] = ZHANJIANG_2022.key,
    kind: KindQuery = None,
    as_of: Annotated[dt.date | None, Query(description="校验日（默认今天）")] = None,
    limit: Annotated[int, SHOWN_PROBLEMS] = 1000,
) -> ValidationOut:
    checked = visibility.validate_upload(
        file.file,
        file.filename or "",
        catalog_key=catalog,
        kind_key=kind,
        today=as_of or today(),
        max_bytes=console.upload_max_bytes,
        allow_list=settings.uscc_allow_list,
    )
    return ValidationOut(
        catalog=catalog,
        kind=checked.kind.key,
        title=checked.kind.title,
        rows=checked.rows,
        invalid_rows=checked.invalid_rows,
        problems=[ProblemOut.model_validate(p) for p in checked.problems[:limit]],
        more=len(checked.problems) > limit,
    )


@router.get("/batches", response_model=BatchPage, summary="报送批次 / submission batches")
def list_batches(
    connection: Db,
    principal: Reader,
    paging: PagingDep,
    kind: KindQuery = None,
    status: BatchStatus | None = None,
) -> BatchPage:
    found = service.batches(
        connection,
        kind=kind,
        status=status.value if status else None,
        offset=paging.offset,
        limit=paging.limit + 1,  # one more tells whether a next page follows
        readable=principal.readable_utilities,
    )
    page = page_of(found, paging.offset, paging.limit)
    return BatchPage(
        items=[batch_out(b) for b in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.get(
    "/batches/errors",
    response_model=MonthErrorsOut,
    summary="月度错误率 / a month's error rates (batches sent that month)",
)
def batch_errors(
    connection: Db,
    principal: Reader,
    month: Annotated[str, Query(max_length=7, pattern=NO_NUL, description="YYYY-MM")],
) -> MonthErrorsOut:
    # Declared before /batches/{batch_id}: "errors" is not a batch id. Only the batches the
    # reader reads are counted (as the list).
    found = submission.error_rates(connection, month, readable=principal.readable_utilities)
    return month_errors_out(found)


@router.get("/batches/{batch_id}", response_model=BatchOut, summary="报送批次 / one batch")
def get_batch(batch_id: BatchId, connection: Db, principal: Reader) -> BatchOut:
    return batch_out(visibility.readable_batch(connection, principal, batch_id))


@router.get(
    "/batches/{batch_id}/files/{role}",
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
    summary="下载批次文件 / a batch's file: data, keys or invalid (audited)",
)
def batch_file(batch_id: BatchId, role: Role, connection: Db, principal: Exchanger) -> FileResponse:
    found, entry, path = visibility.batch_file(connection, principal, batch_id, role)
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    if media_type == "text/csv":
        # The report is UTF-8; a data file is in the batch's encoding (UTF-8 or GB18030).
        charset = "gb18030" if role == "data" and found.encoding == "gb18030" else "utf-8"
        media_type = f"text/csv; charset={charset}"
    # Streamed from disk in blocks (FileResponse), never read whole into memory.
    return FileResponse(
        path,
        media_type=media_type,
        filename=entry.name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


# ---- sending, the platform's answer --------------------------------------------------------


def _upload(file: UploadFile, limit: int) -> bytes:
    data = file.file.read(limit + 1)  # one byte past the limit is enough to refuse
    if len(data) > limit:
        raise FieldInvalidError("file", f"文件超过 {limit} 字节 / the file is over {limit} bytes")
    return data


@router.post(
    "/batches/{batch_id}/send",
    response_model=BatchOut,
    summary="报送到平台 / push a created batch to the platform",
)
def send_batch(
    batch_id: BatchId, connection: Db, principal: Exchanger, settings: AppSettings
) -> BatchOut:
    visibility.writable_batch(connection, principal, batch_id)
    sent = submission.send(
        connection, batch_id, client_from(settings.exchange), actor=principal.username
    )
    return batch_out(sent)


@router.post(
    "/batches/{batch_id}/returns",
    response_model=ReturnsOut,
    summary="导入平台退回文件（不传文件则从平台获取） / load the platform's returned-error "
    "file (fetched from the platform when none is given)",
)
def load_returns(
    batch_id: BatchId,
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    file: Annotated[UploadFile | None, File(description="行号,错误代码,错误信息")] = None,
) -> ReturnsOut:
    visibility.writable_batch(connection, principal, batch_id)
    data = _upload(file, console.upload_max_bytes) if file is not None else None
    loaded = submission.load_returns(
        connection,
        batch_id,
        data=data,
        client=client_from(settings.exchange) if data is None else None,
        actor=principal.username,
    )
    return ReturnsOut(batch=batch_out(loaded.batch), errors=loaded.errors, rows=loaded.rows)


@router.get(
    "/batches/{batch_id}/returns",
    response_model=list[ReturnedRowOut],
    summary="平台退回的数据行 / the rows the platform returned",
)
def returned_rows(batch_id: BatchId, connection: Db, principal: Reader) -> list[ReturnedRowOut]:
    visibility.readable_batch(connection, principal, batch_id)
    return [returned_out(r) for r in submission.returned_rows(connection, batch_id=batch_id)]


@router.post(
    "/returned-rows/{returned_row_id}/correct",
    response_model=ReturnedRowOut,
    summary="标记退回数据已更正（须说明，留痕） / mark a returned row corrected (a note, audited)",
)
def correct_returned_row(
    returned_row_id: BatchId, body: CorrectionIn, connection: Db, principal: Exchanger
) -> ReturnedRowOut:
    visibility.writable_returned(connection, principal, returned_row_id)
    corrected = submission.correct(
        connection, returned_row_id, note=body.note, actor=principal.username
    )
    return returned_out(corrected)


# ---- credit checks (信用核查) ------------------------------------------------------------------


@router.get("/checks", response_model=CheckPage, summary="信用核查 / credit checks")
def list_checks(
    connection: Db,
    principal: Reader,
    paging: PagingDep,
    subject: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    unused: Annotated[bool, Query(description="结果使用情况未登记的 / use not recorded")] = False,
) -> CheckPage:
    found = checks.checks(
        connection,
        subject_code=subject,
        unused=unused,
        utilities=sorted(u.value for u in principal.readable_utilities),
        offset=paging.offset,
        limit=paging.limit + 1,
    )
    page = page_of(found, paging.offset, paging.limit)
    return CheckPage(
        items=[check_out(c) for c in page.items],
        offset=page.offset,
        limit=page.limit,
        has_more=page.has_more,
    )


@router.post(
    "/checks",
    response_model=CreditCheckOut,
    status_code=201,
    summary="信用核查：从平台获取或上传下载的报告 / check a subject: fetched from the "
    "platform, or a downloaded report uploaded",
)
def create_check(
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    subject: Annotated[str, Form(min_length=1, max_length=32, pattern=NO_NUL)],
    purpose: Annotated[CheckPurpose, Form(description=PURPOSES)],
    purpose_note: Annotated[str | None, Form(max_length=500, pattern=NO_NUL)] = None,
    utility: Annotated[Utility | None, Form()] = None,
    file: Annotated[UploadFile | None, File(description="下载的信用报告 / the report")] = None,
) -> CreditCheckOut:
    # The subject must be one the user sees (404, audited), the check one of their utilities.
    asked = visibility.check_utility(connection, principal, subject, utility)
    report = (file.filename or "report", _upload(file, console.upload_max_bytes)) if file else None
    found = checks.check(
        connection,
        checks.CheckRequest(
            subject_code=subject,
            purpose=purpose,
            purpose_note=purpose_note,
            utility=asked.value if asked else None,
            actor=principal.username,
        ),
        client=client_from(settings.exchange) if report is None else None,
        report_file=(report[1], report[0]) if report else None,
    )
    return check_out(found)


@router.get("/checks/{check_id}", response_model=CreditCheckOut, summary="一次信用核查")
def get_check(check_id: BatchId, connection: Db, principal: Reader) -> CreditCheckOut:
    return check_out(visibility.readable_check(connection, principal, check_id))


@router.post(
    "/checks/{check_id}/use",
    response_model=CreditCheckOut,
    summary="登记核查结果使用情况 / record how the result was used",
)
def record_use(
    check_id: BatchId, body: CheckUseIn, connection: Db, principal: Exchanger
) -> CreditCheckOut:
    visibility.writable_check(connection, principal, check_id)
    used = checks.record_use(
        connection, check_id, used_for=body.used_for, note=body.note, actor=principal.username
    )
    return check_out(used)
