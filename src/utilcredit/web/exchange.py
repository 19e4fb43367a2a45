"""Console pages of the exchange with the public credit platform (报送, issue 13 item 7): the
exports page (choose the catalog kind, full or incremental, the format and the utilities →
a new batch; check a file as the platform would), the batches with their status, counts and
error rate, and one batch with its files, its validation report and the platform's answer.

Thin like the other pages: parse, call the same use cases as the API and the CLI
(``exchange/service.py``), render. A refused export (422) is shown again with the error next
to the field the service names; exporting for another utility is refused (403, audited).
Files download from the API's route (``/api/batches/{id}/files/{role}``), audited there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, InvalidInputError
from utilcredit.exchange import service, submission, visibility
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import (
    BATCH_MACHINE,
    Batch,
    BatchStatus,
    Encoding,
    ExportFormat,
)
from utilcredit.http.deps import AppSettings, Console, Db, Reader, Requires
from utilcredit.http.params import NO_NUL
from utilcredit.localtime import today
from utilcredit.web.counter import Offset, parse_date, parse_enum
from utilcredit.web.i18n import LANG_COOKIE, language
from utilcredit.web.notice_pages import local
from utilcredit.web.records import Id
from utilcredit.web.rendering import render
from utilcredit.web.steps import Refusal, attempt, form_state, status_of

router = APIRouter(include_in_schema=False)

Exchanger = Annotated[Principal, Depends(Requires(Permission.EXCHANGE))]
Choice = Annotated[str, Form(max_length=32, pattern=NO_NUL)]
PAGE = 20
REPORT_LINES = 200  # lines of a validation report shown on the batch page
SHOWN_PROBLEMS = 500  # problems of a checked file shown on the exports page
DONE = frozenset({"export"})
STATUS_EN = {
    BatchStatus.CREATED: "Created",
    BatchStatus.SENT: "Sent",
    BatchStatus.ACCEPTED: "Accepted",
    BatchStatus.PARTLY_REJECTED: "Partly rejected",
    BatchStatus.REJECTED: "Rejected",
}


def _words(request: Request) -> dict[str, Any]:
    """What the exchange templates share: the kinds by key, status labels, local times."""
    lang = language(request.cookies.get(LANG_COOKIE))

    def status_label(status: str) -> str:
        state = BATCH_MACHINE.state(status)
        return BATCH_MACHINE.labels[state] if lang == "zh" else STATUS_EN[state]

    return {
        "kinds": ZHANJIANG_2022.kinds,
        "kind_titles": {k.key: k.title for k in ZHANJIANG_2022.kinds},
        "statuses": list(BatchStatus),
        "status_label": status_label,
        "local": local,
        "error_rate": _error_rate,
        "utilities_of": lambda b: [u for u in b.utilities.split(",") if u],
    }


def _error_rate(batch: Batch) -> str:
    """Rows the platform returned per row answered, as a percentage (a dash before it answers)."""
    return submission.batch_rate(batch).rate_text


# ---- the exports page ------------------------------------------------------------------------


def _exports_page(
    request: Request,
    principal: Principal,
    *,
    refusal: Refusal | None = None,
    checked: service.FileCheck | None = None,
    check_error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "exports.html",
        {
            **_words(request),
            "formats": list(ExportFormat),
            "encodings": list(Encoding),
            "writable": sorted(u.value for u in principal.utilities),
            "today": today().isoformat(),
            "checked": checked,
            "shown_problems": SHOWN_PROBLEMS,
            "check_error": check_error,
            **form_state("", DONE, refusal),
        },
        status_code=status_code if refusal is None else status_of(refusal),
    )


@router.get("/exports")
def exports_page(request: Request, principal: Exchanger) -> Response:
    return _exports_page(request, principal)


@router.post("/exports")
def create_export(
    request: Request,
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
    kind: Choice,
    mode: Annotated[str, Form(pattern="^(full|incremental)$")] = "full",
    fmt: Annotated[str, Form(alias="format", max_length=8, pattern=NO_NUL)] = "csv",
    encoding: Annotated[str, Form(max_length=16, pattern=NO_NUL)] = Encoding.UTF8_BOM.value,
    utility: Annotated[list[str] | None, Form()] = None,
    as_of: Annotated[str, Form(max_length=10, pattern=NO_NUL)] = "",
) -> Response:
    values = {
        "kind": kind,
        "mode": mode,
        "format": fmt,
        "encoding": encoding,
        "utility": utility or [],
        "as_of": as_of,
    }
    outcome = attempt(
        connection, "export", values, lambda: _export(connection, principal, settings, values)
    )
    if isinstance(outcome, Refusal):
        return _exports_page(request, principal, refusal=outcome)
    return RedirectResponse(f"/batches/{outcome.batch.id}?done=export", status_code=303)


def _utility(value: str) -> Utility:
    found = parse_enum(Utility, value, "utility")
    assert found is not None
    return found


def _export(
    connection: Connection,
    principal: Principal,
    settings: Settings,
    values: dict[str, Any],
) -> service.ExportOutcome:
    # Another utility is refused (403, audited: the error page), before anything is written.
    utilities = visibility.export_utilities(principal, [_utility(u) for u in values["utility"]])
    fmt = parse_enum(ExportFormat, values["format"], "format")
    encoding = parse_enum(Encoding, values["encoding"], "encoding")
    assert fmt is not None and encoding is not None
    request = service.ExportRequest(
        catalog=ZHANJIANG_2022.key,
        kind=values["kind"],
        as_of=parse_date(values["as_of"], "as_of", default=today()),
        utilities=utilities,
        fmt=fmt,
        encoding=encoding,
        since_last=values["mode"] == "incremental",
        actor=principal.username,
    )
    return service.export(
        connection,
        request,
        units=settings.records.determining_units,
        root=settings.data_dir / "exchange",
        allow_list=settings.uscc_allow_list,
    )


@router.post("/exports/validate")
def validate_file(
    request: Request,
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=32, pattern=NO_NUL)] = "",
) -> Response:
    """With htmx the checked file's section alone comes back (a refusal said in it);
    without, the whole page (422 when the file could not be checked)."""
    checked: service.FileCheck | None = None
    error = ""
    try:
        checked = visibility.validate_upload(
            file.file,
            file.filename or "",
            catalog_key=ZHANJIANG_2022.key,
            kind_key=kind or None,
            today=today(),
            max_bytes=console.upload_max_bytes,
            allow_list=settings.uscc_allow_list,
        )
    except (FieldInvalidError, InvalidInputError) as refused:
        error = str(refused)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "partials/exchange_validation.html",
            {"checked": checked, "check_error": error, "shown_problems": SHOWN_PROBLEMS},
        )
    return _exports_page(
        request, principal, checked=checked, check_error=error, status_code=422 if error else 200
    )


# ---- batches ---------------------------------------------------------------------------------


@router.get("/batches")
def batches_page(
    request: Request,
    connection: Db,
    principal: Reader,
    offset: Offset = 0,
    kind: Annotated[str, Query(max_length=32, pattern=NO_NUL)] = "",
    status: Annotated[str, Query(max_length=20, pattern=NO_NUL)] = "",
) -> Response:
    found = service.batches(
        connection,
        kind=kind or None,
        status=status or None,
        offset=offset,
        limit=PAGE + 1,
        readable=principal.readable_utilities,
    )
    return render(
        request,
        "batches.html",
        {
            **_words(request),
            "items": found[:PAGE],
            "offset": offset,
            "has_more": len(found) > PAGE,
            "page_size": PAGE,
            "kind": kind,
            "status": status,
            "may_export": principal.can(Permission.EXCHANGE),
        },
    )


@router.get("/batches/{batch_id}")
def batch_page(
    request: Request,
    batch_id: Id,
    connection: Db,
    principal: Reader,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    found = visibility.readable_batch(connection, principal, batch_id)
    lines, more = visibility.report_lines(found, REPORT_LINES)
    returned = submission.returned_rows(connection, batch_id=batch_id, limit=REPORT_LINES)
    return render(
        request,
        "batch.html",
        {
            **_words(request),
            "b": found,
            "report": lines,
            "report_more": more,
            "returned": returned,
            "may_download": principal.can(Permission.EXCHANGE),
            **form_state(done, DONE, None),
        },
    )
