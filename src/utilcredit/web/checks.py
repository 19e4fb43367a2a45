"""Console pages of credit checks (信用核查, SPEC 2.8; seed 002 附件2 item 5; issue 13 item 7):
the checks of the reader's utilities (filtered by subject, or those whose use is not recorded
yet) with the form to make one, and one check with its result and the form to record how the
result was used (记录使用情况) — the feedback the credit office asks for.

A check is fetched through the platform when one is configured and no report is uploaded;
otherwise the uploaded report (JSON or CSV, as ``exchange/reports.py`` reads it) is loaded.
Without a platform and without a file the form is refused next to its file field. A platform
that fails is not a refusal: the check is stored ``failed`` with the reason (the attempt and
its purpose are kept), and its page says why.

The same rules as the API (``exchange/visibility.py``): a subject or a check of another
utility is not found (404, audited); making a check, or recording its use, for a utility the
user reads but does not belong to is 403 (audited).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Permission, Principal
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError
from utilcredit.exchange import checks, visibility
from utilcredit.exchange.model import PURPOSE_ZH, USE_ZH, CheckPurpose, CheckUse, CreditCheck
from utilcredit.exchange.platform import client_from
from utilcredit.http.deps import AppSettings, Console, Db, Reader
from utilcredit.http.params import NO_NUL
from utilcredit.web.counter import Offset, parse_enum
from utilcredit.web.exchange import Exchanger
from utilcredit.web.i18n import LANG_COOKIE, language
from utilcredit.web.notice_pages import local
from utilcredit.web.records import Choice, Id, Text
from utilcredit.web.rendering import render
from utilcredit.web.steps import (
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

Subject = Annotated[str, Form(max_length=32, pattern=NO_NUL)]
PAGE = 20
DONE = frozenset({"check", "use"})


def _words(request: Request) -> dict[str, Any]:
    """What the check templates share: purposes and uses with their labels, local times."""
    zh = language(request.cookies.get(LANG_COOKIE)) == "zh"
    return {
        "purposes": [(p.value, PURPOSE_ZH[p] if zh else p.value) for p in CheckPurpose],
        "uses": [(u.value, USE_ZH[u] if zh else u.value) for u in CheckUse],
        "purpose_label": lambda c: c.purpose_zh if zh else c.purpose,
        "use_label": lambda c: (c.used_for_zh if zh else c.used_for) or "",
        "local": local,
    }


# ---- the list, and a new check ----------------------------------------------------------------


def _checks_page(
    request: Request,
    connection: Connection,
    principal: Principal,
    settings: Settings,
    *,
    offset: int = 0,
    subject: str = "",
    unused: bool = False,
    refusal: Refusal | None = None,
) -> HTMLResponse:
    found = checks.checks(
        connection,
        subject_code=subject or None,
        unused=unused,
        utilities=sorted(u.value for u in principal.readable_utilities),
        offset=offset,
        limit=PAGE + 1,
    )
    return render(
        request,
        "checks.html",
        {
            **_words(request),
            "items": found[:PAGE],
            "offset": offset,
            "has_more": len(found) > PAGE,
            "page_size": PAGE,
            "subject": subject,
            "unused": unused,
            "may_check": principal.can(Permission.EXCHANGE),
            "writable": sorted(u.value for u in principal.utilities),
            "platform": bool(settings.exchange.platform_url),
            **form_state("", DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/checks")
def checks_page(
    request: Request,
    connection: Db,
    principal: Reader,
    settings: AppSettings,
    offset: Offset = 0,
    subject: Annotated[str, Query(max_length=32, pattern=NO_NUL)] = "",
    unused: bool = False,
) -> Response:
    return _checks_page(
        request, connection, principal, settings, offset=offset, subject=subject, unused=unused
    )


@router.post("/checks")
def create_check(
    request: Request,
    connection: Db,
    principal: Exchanger,
    settings: AppSettings,
    console: Console,
    subject: Subject,
    purpose: Choice = "",
    purpose_note: Text = "",
    utility: Choice = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "subject": subject,
        "purpose": purpose,
        "purpose_note": purpose_note,
        "utility": utility,
    }

    def make() -> CreditCheck:
        code = subject.strip()
        if not code:
            raise FieldInvalidError("subject", "请填写主体代码 / give the subject's code")
        asked = parse_enum(Utility, utility, "utility") if utility else None
        # Another utility's subject: 404; a check for a utility the user is not a member of:
        # 403 (both audited, the error page), before anything is fetched or written.
        chosen = visibility.check_utility(connection, principal, code, asked)
        report = _report(file, console.upload_max_bytes)
        request_ = checks.CheckRequest(
            subject_code=code,
            purpose=_purpose(purpose),
            purpose_note=purpose_note or None,
            utility=chosen.value if chosen else None,
            actor=principal.username,
        )
        if report is not None or not settings.exchange.platform_url:
            # No platform: checks.check refuses a missing report next to the file field.
            return checks.check(connection, request_, report_file=report)
        with client_from(settings.exchange) as client:
            return checks.check(connection, request_, client=client)

    outcome = attempt(connection, "check", values, make)
    if isinstance(outcome, Refusal):
        return _checks_page(request, connection, principal, settings, refusal=outcome)
    return RedirectResponse(f"/checks/{outcome.id}?done=check", status_code=303)


def _purpose(value: str) -> CheckPurpose:
    if not value:
        raise FieldInvalidError("purpose", "请选择核查用途 / choose the purpose")
    found = parse_enum(CheckPurpose, value, "purpose")
    assert found is not None
    return found


def _report(file: UploadFile | None, limit: int) -> tuple[bytes, str] | None:
    """The uploaded report's bytes and name; an empty file field is no report."""
    if file is None or not file.filename:
        return None
    data = file.file.read(limit + 1)  # one byte past the limit is enough to refuse
    if len(data) > limit:
        raise FieldInvalidError("file", f"文件超过 {limit} 字节 / the file is over {limit} bytes")
    return data, file.filename


# ---- one check, and the use of its result ---------------------------------------------------


def _check_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    check_id: int,
    *,
    done: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    found = visibility.readable_check(connection, principal, check_id)
    result = found.result or {}
    return render(
        request,
        "check.html",
        {
            **_words(request),
            "c": found,
            "result": result,
            "records": result.get("records") or [],
            "may_use": (
                principal.can(Permission.EXCHANGE)
                and principal.may_write_utility(Utility(found.utility))
                and found.status == "done"
                and found.used_for is None
            ),
            **form_state(done, DONE, refusal),
        },
        status_code=status_of(refusal),
    )


@router.get("/checks/{check_id}")
def check_page(
    request: Request,
    check_id: Id,
    connection: Db,
    principal: Reader,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    return _check_response(request, connection, principal, check_id, done=done)


def _use(posted: Posted) -> object:
    visibility.writable_check(posted.connection, posted.principal, posted.id)
    used_for = posted.fields["used_for"]
    if not used_for:
        raise FieldInvalidError("used_for", "请选择使用情况 / choose how it was used")
    use = parse_enum(CheckUse, used_for, "used_for")
    assert use is not None
    return checks.record_use(
        posted.connection,
        posted.id,
        used_for=use,
        note=posted.fields["note"] or None,
        actor=posted.principal.username,
    )


STEP_PAGE = StepPage(
    "/checks/{check_id}",
    show=lambda posted, refusal: _check_response(
        posted.request, posted.connection, posted.principal, posted.id, refusal=refusal
    ),
    back=lambda posted, done: f"/checks/{posted.id}?done={done}",
)
STEPS = (
    Step(
        "use",
        _use,
        (form_field("used_for", Choice), form_field("note", Text)),
        principal=Exchanger,
    ),
)
add_steps(router, STEP_PAGE, STEPS)
