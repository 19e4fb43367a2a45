"""Console pages of the exchange with the public credit platform (报送, issue 13 item 7): the
exports page (choose the catalog kind, full or incremental, the format and the utilities →
a new batch; check a file as the platform would), the batches with their status, counts and
error rate under a month's error rates, and one batch with its files, its validation report,
the platform's answer and its actions: send (报送), load the returned-error file or fetch the
platform's answer (载入退回文件), and mark a returned row corrected (标记已更正). Credit
checks (信用核查) have their pages in ``web/checks.py``.

Thin like the other pages: parse, call the same use cases as the API and the CLI
(``exchange/service.py``, ``exchange/submission.py``) with the same rules
(``exchange/visibility.py``), render. A refused form (422, 409) is shown again with the error
next to it; a platform that fails or is not configured (502, 503) too — nothing was recorded,
the batch stays as it was; another utility's batch is 404, a batch of a utility the user
reads but does not belong to 403 (both audited). Files download from the API's route
(``/api/batches/{id}/files/{role}``), audited there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.audit.repository import decode_utilities
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError, InvalidInputError, NotFoundError, UpstreamError
from utilcredit.exchange import service, submission, visibility
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import (
    BATCH_MACHINE,
    Batch,
    BatchStatus,
    Encoding,
    ExportFormat,
)
from utilcredit.exchange.platform import client_from
from utilcredit.http.deps import AppSettings, Console, Db, Reader, Requires
from utilcredit.http.params import NO_NUL
from utilcredit.localtime import today
from utilcredit.web.counter import Offset, parse_date, parse_enum
from utilcredit.web.i18n import LANG_COOKIE, language
from utilcredit.web.notice_pages import local
from utilcredit.web.records import Id
from utilcredit.web.records import Text as Note
from utilcredit.web.rendering import render
from utilcredit.web.steps import (
    REQUIRED,
    Posted,
    Refusal,
    Step,
    StepPage,
    add_steps,
    attempt,
    form_field,
    form_state,
    status_of,
)

router = APIRouter(include_in_schema=False)

Exchanger = Annotated[Principal, Depends(Requires(Permission.EXCHANGE))]
Choice = Annotated[str, Form(max_length=32, pattern=NO_NUL)]
PAGE = 20
REPORT_LINES = 200  # lines of a validation report shown on the batch page
SHOWN_PROBLEMS = 500  # problems of a checked file shown on the exports page
DONE = frozenset({"export", "send", "returns", "fetch", "correct"})
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
    month: Annotated[str, Query(max_length=7, pattern=NO_NUL)] = "",
) -> Response:
    """The month's error rates (by the day batches were sent; this month by default) above
    the batches, both only of the reader's utilities. A month not ``YYYY-MM`` is said next to
    its field (422)."""
    month = month or today().strftime("%Y-%m")
    errors: submission.MonthErrors | None = None
    month_error = ""
    try:
        errors = submission.error_rates(connection, month, readable=principal.readable_utilities)
    except FieldInvalidError as refused:
        month_error = str(refused)
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
            "month": month,
            "errors": errors,
            "month_error": month_error,
            "may_export": principal.can(Permission.EXCHANGE),
        },
        status_code=422 if month_error else 200,
    )


def _may_act(principal: Principal, found: Batch) -> bool:
    """Whether the batch's actions are shown: ``exchange`` and a member of each utility."""
    return principal.can(Permission.EXCHANGE) and all(
        principal.may_write_utility(Utility(u)) for u in decode_utilities(found.utilities)
    )


def _batch_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    batch_id: int,
    *,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
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
            "returned_more": len(returned) == REPORT_LINES,
            "may_download": principal.can(Permission.EXCHANGE),
            "may_act": _may_act(principal, found),
            "platform": bool(settings.exchange.platform_url),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/batches/{batch_id}")
def batch_page(
    request: Request,
    batch_id: Id,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _batch_response(request, connection, principal, settings, batch_id, done=done)


# ---- the batch's actions ---------------------------------------------------------------------
# Send and the platform's answer call the platform: besides the refusals of every step form,
# a platform failure (502) or a missing configuration (503) is shown next to the form — the
# use case raised before writing anything, so the batch stays as it was. Correcting a
# returned row is a plain step (web/steps.py).


def _platform_step(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    batch_id: int,
    form: str,
    step: Callable[[], object],
) -> Response:
    # Another utility's batch: 404; a batch of a utility the user is not a member of: 403
    # (both audited, the error page), before the platform is called.
    visibility.writable_batch(connection, principal, batch_id)
    try:
        outcome = attempt(connection, form, {}, step)
    except UpstreamError as failed:
        # A platform message joins several "中文 / English" parts (what was asked, what went
        # wrong, the tries): shown whole, as one language's half would lose the reason.
        whole = str(failed).replace(" / ", " · ")
        outcome = Refusal(form, whole, None, {}, failed.http_status)
    if isinstance(outcome, Refusal):
        return _batch_response(request, connection, principal, settings, batch_id, refusal=outcome)
    return RedirectResponse(f"/batches/{batch_id}?done={form}#returned", status_code=303)


@router.post("/batches/{batch_id}/send")
def send_batch(
    request: Request,
    batch_id: Id,
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
) -> Response:
    def send() -> object:
        with client_from(settings.exchange) as client:
            return submission.send(connection, batch_id, client, actor=principal.username)

    return _platform_step(request, connection, principal, settings, batch_id, "send", send)


@router.post("/batches/{batch_id}/returns")
def load_returns(
    request: Request,
    batch_id: Id,
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """With a file: the returned-error file loaded (form ``returns``); without one (an empty
    file field counts as none): the platform's answer fetched (form ``fetch``)."""
    given = file is not None and bool(file.filename)
    limit = console.upload_max_bytes

    def load() -> object:
        if file is not None and given:
            data = file.file.read(limit + 1)  # one byte past the limit is enough to refuse
            if len(data) > limit:
                raise FieldInvalidError(
                    "file", f"文件超过 {limit} 字节 / the file is over {limit} bytes"
                )
            return submission.load_returns(
                connection, batch_id, data=data, actor=principal.username
            )
        with client_from(settings.exchange) as client:
            return submission.load_returns(
                connection, batch_id, client=client, actor=principal.username
            )

    form = "returns" if given else "fetch"
    return _platform_step(request, connection, principal, settings, batch_id, form, load)


def _correct(posted: Posted) -> object:
    row_id = posted.fields["row_id"]
    owner, found = visibility.writable_returned(posted.connection, posted.principal, row_id)
    if owner.id != posted.id:  # a row of another batch is not this page's
        raise NotFoundError(f"没有退回数据 {row_id} / no returned row {row_id}")
    return submission.correct(
        posted.connection, found.id, note=posted.fields["note"], actor=posted.principal.username
    )


def _show_batch(posted: Posted, refusal: Refusal) -> HTMLResponse:
    return _batch_response(
        posted.request,
        posted.connection,
        posted.principal,
        posted.settings,
        posted.id,
        refusal=refusal,
    )


STEP_PAGE = StepPage(
    "/batches/{batch_id}",
    show=_show_batch,
    back=lambda posted, done: f"/batches/{posted.id}?done={done}#returned",
)
STEPS = (
    Step(
        "returned/{row_id}/correct",
        _correct,
        (form_field("row_id", Id, REQUIRED), form_field("note", Note)),
        principal=Exchanger,
        name="correct",
        # One form per returned row on the page: the refusal shows next to its own.
        form=lambda posted: f"correct-{posted.fields['row_id']}",
        values=lambda posted: {"note": posted.fields["note"]},
    ),
)
add_steps(router, STEP_PAGE, STEPS)
